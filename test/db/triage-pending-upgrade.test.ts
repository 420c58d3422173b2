// Migration 0017 on an installation with alarms: those still untriaged go on the reconciler's new list
// (triage_pending), those triaged do not, and the open and due indexes find the same alarms as before.
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/connect.js';
import { listUntriagedAlarms } from '../../db/alarms.js';
import { alarmRow } from '../../db/open.js';
import { installationBefore, type Installation } from '../support/upgrade.js';

let installation: Installation | undefined;
let db: Db;

afterAll(async () => {
  await installation?.close();
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
    installation = await installationBefore('0017', 2);
    db = installation.db;

    const id = async (q: ReturnType<typeof insert>) => (await q.execute(db)).rows[0] as { id: string };
    const received = [(await id(insert(1, 'received', {}))).id, (await id(insert(2, 'received', {}))).id];
    const triaged = (await id(insert(3, 'triaged', { triaged: true }))).id;
    const claimed = (await id(insert(4, 'claimed', { triaged: true, claimed: true }))).id;
    const resolved = (await id(insert(5, 'resolved', { triaged: true, claimed: true, resolved: true }))).id;

    await installation.toLatest();

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
