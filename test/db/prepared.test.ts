// The triage lock is a prepared statement: parsed once per connection, then only executed, and its
// answers are those of the same text sent unprepared.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { createDb, createPool, prepared, type Db } from '../../db/connect.js';
import type { Database } from '../../db/schema.js';
import { lockAlarmsForTriage } from '../../db/triage.js';
import { createTestEnv, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
let db: Db;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
  // One connection, so that the session whose statements are read is the one that ran them.
  db = createDb(createPool(te.config.databaseUrl, { max: 1 }));
});
afterAll(async () => {
  await db.destroy();
  await te.close();
});

const alarm = (m: string, i: number, type = 'pendant', extra = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;

type Prepared = { name: string; generic_plans: number; custom_plans: number };
const preparedHere = async () =>
  (await sql<Prepared>`SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements`.execute(db))
    .rows;

describe('prepared statements', () => {
  it('prepare the triage lock once per connection, with the same answers', async () => {
    const press = alarm('aabenraa', 1, 'pendant', { voice: 'connected' });
    const { results } = await storeAlarms(te.rt.db, [
      press,
      alarm('aabenraa', 3, 'medication'),
      alarm('aabenraa', 1, 'cancel', { relatesTo: press.eventId }),
    ]);
    const ids = results.map((r) => r.alarmId);
    expect(await preparedHere()).toEqual([]);
    const runs = [];
    for (const some of [ids.slice(0, 1), ids, ids.slice(2)])
      runs.push(await db.transaction().execute((trx) => lockAlarmsForTriage(trx, some)));
    const [statement, ...others] = await preparedHere();
    expect(others).toEqual([]);
    expect(statement!.name).toBe('triage-lock');
    expect(statement!.generic_plans + statement!.custom_plans).toBe(3);
    // The cancel brings its press with it, prepared or not.
    expect(runs[2]!.map((l) => l.row.id).sort()).toEqual([ids[0], ids[2]].sort());
    // The same answers as the same text planned per call: through a plain pg pool, where the marker is
    // only a comment.
    const plainPool = new pg.Pool({ connectionString: te.config.databaseUrl, max: 1 });
    const plain = new Kysely<Database>({ dialect: new PostgresDialect({ pool: plainPool }) });
    try {
      const unprepared = await plain.transaction().execute((trx) => lockAlarmsForTriage(trx, ids));
      expect(
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(plain)).rows[0]!.n,
      ).toBe(0);
      const strip = (ls: typeof unprepared) => ls.map(({ now: _now, ...l }) => l);
      expect(strip(runs[1]!)).toEqual(strip(unprepared));
    } finally {
      await plain.destroy();
    }
  });

  it('are prepared again, under a new name, once a migration changed what they return', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('toender', 5)]);
    const id = results[0]!.alarmId;
    const lock = () => db.transaction().execute((trx) => lockAlarmsForTriage(trx, [id]));
    expect(await lock()).toHaveLength(1);
    await sql`ALTER TABLE alarms ADD COLUMN added_by_a_migration integer`.execute(te.rt.db);
    try {
      // Postgres refuses the old plan once; the transaction that met it fails, its retry works.
      await expect(lock()).rejects.toMatchObject({ code: '0A000' });
      const again = await lock();
      expect(again.map((l) => l.row.id)).toEqual([id]);
      expect((await preparedHere()).map((p) => p.name).sort()).toEqual(['triage-lock', 'triage-lock-1']);
      expect(await lock()).toHaveLength(1);
    } finally {
      await sql`ALTER TABLE alarms DROP COLUMN added_by_a_migration`.execute(te.rt.db);
    }
  });

  it('refuse a name that is not a plain word', () => {
    expect(() => prepared('x */ DROP TABLE alarms; /*')).toThrow(/bad prepared statement name/);
    expect(() => prepared('Triage')).toThrow();
    expect(prepared('triage-lock')).toBeDefined();
  });
});
