// The triage lock is a prepared statement: parsed once per connection, then only executed, and its
// answers are those of the same text sent unprepared. On the runtime's hot connections the accept and
// the triage statements are planned generically, never again per call.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { createDb, createPool, prepared, type Db } from '../../db/connect.js';
import type { Database } from '../../db/schema.js';
import { lockAlarmsForTriage, storeAdvice } from '../../db/triage.js';
import { GENERIC_PLAN_MAX_ALARMS, hotDbFor } from '../../platform/runtime.js';
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

  it('run on generic plans on the hot connections, and nowhere else', async () => {
    const hot = createDb(createPool(te.config.databaseUrl, { max: 1, genericPlans: true }));
    try {
      const mode = async (d: Db) =>
        (await sql<{ plan_cache_mode: string }>`SHOW plan_cache_mode`.execute(d)).rows[0]!.plan_cache_mode;
      expect(await mode(hot)).toBe('force_generic_plan');
      expect(await mode(te.rt.hotDb)).toBe('force_generic_plan');
      expect(await mode(te.rt.db)).toBe('auto');
      // A few alarms run there; a gateway's batch of hundreds is planned for its size.
      expect(hotDbFor(te.rt, GENERIC_PLAN_MAX_ALARMS)).toBe(te.rt.hotDb);
      expect(hotDbFor(te.rt, GENERIC_PLAN_MAX_ALARMS + 1)).toBe(te.rt.db);
      // Batches of different sizes, as the accept and triage see them; every call on the one plan.
      for (const size of [1, 5, 40]) {
        const { results } = await storeAlarms(
          hot,
          Array.from({ length: size }, (_, i) => alarm('aabenraa', i % 5)),
        );
        await hot.transaction().execute(async (trx) => {
          const locked = await lockAlarmsForTriage(
            trx,
            results.map((r) => r.alarmId),
          );
          const now = new Date();
          await storeAdvice(
            trx,
            locked.map((l) => ({
              ...l.row,
              triage_class: 'dispatch',
              triage_priority: 1,
              triage_confidence: 1,
              triage_reasons: ['test'],
              triaged_at: now,
              status: 'triaged',
            })),
          );
        });
      }
      const statements = (
        await sql<Prepared>`SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements ORDER BY name`.execute(
          hot,
        )
      ).rows;
      expect(statements).toEqual([
        { name: 'accept', generic_plans: 3, custom_plans: 0 },
        { name: 'triage-lock', generic_plans: 3, custom_plans: 0 },
        { name: 'triage-store', generic_plans: 3, custom_plans: 0 },
      ]);
      const triaged = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM alarms WHERE triage_reasons = '{test}'`.execute(te.rt.db);
      expect(triaged.rows[0]!.n).toBe(46);
    } finally {
      await hot.destroy();
    }
  });

  it('make their generic plans again once they are older than the age allowed', async () => {
    // Planned on an empty table, a lookup by key scans the table; grown large, it would still scan it under
    // the plan made then, until ANALYZE (kept off here) or the age allowed makes it again.
    await sql`CREATE TABLE plan_age (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false)`.execute(te.rt.db);
    await sql`ANALYZE plan_age`.execute(te.rt.db);
    const pools = [3_600_000, 0].map((maxAgeMs) =>
      createDb(createPool(te.config.databaseUrl, { max: 1, genericPlans: true, genericPlanMaxAgeMs: maxAgeMs })),
    );
    try {
      const lookup = (d: Db) =>
        sql`${prepared('plan-age')} SELECT v FROM plan_age WHERE id = ANY(${[1, 2]}::int[])`.execute(d);
      const planOf = async (d: Db) => {
        await lookup(d);
        const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN EXECUTE "plan-age"('{1,2}')`.execute(d);
        return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      // Both plan it on the empty table.
      for (const d of pools) expect(await planOf(d)).toMatch(/Seq Scan on plan_age/);
      await sql`INSERT INTO plan_age SELECT g, g FROM generate_series(1, 100000) g`.execute(te.rt.db);
      const [kept, renewed] = pools as [Db, Db];
      expect(await planOf(kept)).toMatch(/Seq Scan on plan_age/);
      expect(await planOf(renewed)).toMatch(/Index Scan on plan_age_pkey|Index Scan using plan_age_pkey/);
      expect(await planOf(renewed)).not.toMatch(/Seq Scan/);
    } finally {
      await Promise.all(pools.map((d) => d.destroy()));
    }
  });

  it('refuse a name that is not a plain word', () => {
    expect(() => prepared('x */ DROP TABLE alarms; /*')).toThrow(/bad prepared statement name/);
    expect(() => prepared('Triage')).toThrow();
    expect(prepared('triage-lock')).toBeDefined();
  });
});
