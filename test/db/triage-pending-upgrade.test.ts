// Migration 0017 on an installation with alarms: those still untriaged go on the reconciler's new list
// (triage_pending), those triaged do not, and the open and due indexes find the same alarms as before.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { listUntriagedAlarms } from '../../db/alarms.js';
import { createDb } from '../../db/connect.js';
import { MIGRATIONS_DIR, migrateToLatest, migrationFiles } from '../../db/migrate.js';
import { alarmRow } from '../../db/open.js';
import { dropTestDatabase, urlFor } from '../support/databases.js';

const database = `rc_test_upgrade_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: urlFor(database), max: 2 });
const db = createDb(pool);
let before: string;

afterAll(async () => {
  await db.destroy();
  await dropTestDatabase(database);
  if (before) await fs.rm(before, { recursive: true, force: true });
});

/** An alarm in one of the four states, as the code before 0017 stored it. */
const insert = (n: number, status: string, at: { triaged?: boolean; claimed?: boolean; resolved?: boolean }) => sql`
  INSERT INTO alarms (id, gateway_id, event_id, municipality_id, device_id, unknown_device, type, lane, occurred_at,
                      received_at, incident_id, status, triaged_at, claimed_at, resolved_at)
  VALUES (gen_random_uuid(), 'gw', ${`ev-${n}`}, 'aabenraa', ${`dev-${n}`}, true, 'pendant', 'urgent', now(),
          now() - make_interval(mins => ${n}), gen_random_uuid(), ${status},
          ${at.triaged ? sql`now()` : sql`NULL`}, ${at.claimed ? sql`now()` : sql`NULL`}, ${at.resolved ? sql`now()` : sql`NULL`})
  RETURNING id`;

describe('migration 0017 on alarms stored before it', () => {
  it('lists exactly the untriaged alarms for the reconciler and keeps open, waiting and claimed as the status says', async () => {
    const admin = new pg.Client({ connectionString: urlFor('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    before = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-migrations-'));
    const files = await migrationFiles();
    const older = files.filter((f) => f < '0017');
    expect(older.length).toBeLessThan(files.length);
    for (const f of older) await fs.copyFile(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    await migrateToLatest(db, before);

    const id = async (q: ReturnType<typeof insert>) => (await q.execute(db)).rows[0] as { id: string };
    const received = [(await id(insert(1, 'received', {}))).id, (await id(insert(2, 'received', {}))).id];
    const triaged = (await id(insert(3, 'triaged', { triaged: true }))).id;
    const claimed = (await id(insert(4, 'claimed', { triaged: true, claimed: true }))).id;
    const resolved = (await id(insert(5, 'resolved', { triaged: true, claimed: true, resolved: true }))).id;

    await migrateToLatest(db);

    // Oldest first, as the reconciler takes them.
    expect((await listUntriagedAlarms(db, 0, 10)).map((a) => a.id)).toEqual([...received].reverse());
    const ids = async (where: ReturnType<typeof sql<boolean>>) =>
      (await sql<{ id: string }>`SELECT id FROM alarms a WHERE ${where} ORDER BY id`.execute(db)).rows.map((r) => r.id);
    const sorted = (xs: string[]) => [...xs].sort();
    const a = alarmRow('a');
    expect(await ids(a.isOpen)).toEqual(sorted([...received, triaged, claimed]));
    expect(await ids(a.isWaiting)).toEqual(sorted([...received, triaged]));
    expect(await ids(a.isClaimed)).toEqual([claimed]);
    expect(await ids(sql`a.status = 'resolved'`)).toEqual([resolved]);
    const indexes = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE tablename = 'alarms' AND indexname = 'alarms_untriaged'`.execute(db);
    expect(indexes.rows).toEqual([]);
  });
});
