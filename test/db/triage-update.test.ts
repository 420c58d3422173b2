import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { listUntriagedAlarms } from '../../db/alarms.js';
import { lockAlarmsForTriage, storeAdvice } from '../../db/triage.js';
import { createTestEnv, seedRegistry, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const alarm = (m: string, i: number, type = 'pendant'): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type) }) as NewAlarm;

describe('the triage UPDATE', () => {
  it('is heap-only (no index entry written) and takes the alarms off the reconciler’s list', async () => {
    const { created } = await storeAlarms(te.rt.db, [alarm('aabenraa', 0), alarm('aabenraa', 1, 'fall')]);
    const ids = created.map((r) => r.id);
    const listed = await listUntriagedAlarms(te.rt.db, 0, 1000);
    expect(listed.filter((a) => ids.includes(a.id))).toEqual(created.map((r) => ({ id: r.id, lane: r.lane })));

    const counts = await te.rt.db.transaction().execute(async (trx) => {
      const locked = await lockAlarmsForTriage(trx, ids);
      await storeAdvice(
        trx,
        locked.map(({ row, now }) => ({
          ...row,
          status: 'triaged',
          triage_class: 'dispatch',
          triage_priority: 1,
          triage_confidence: 0.9,
          triage_reasons: ['a press'],
          triaged_at: now,
        })),
      );
      // This transaction's own counts, before the stats are flushed anywhere.
      const r = await sql<{ updated: string; hot: string }>`
        SELECT pg_stat_get_xact_tuples_updated('alarms'::regclass) AS updated,
               pg_stat_get_xact_tuples_hot_updated('alarms'::regclass) AS hot`.execute(trx);
      return r.rows[0]!;
    });
    expect({ updated: Number(counts.updated), hot: Number(counts.hot) }).toEqual({ updated: 2, hot: 2 });

    const after = await te.rt.db.selectFrom('alarms').select(['status', 'triaged_at']).where('id', 'in', ids).execute();
    expect(after.every((r) => r.status === 'triaged' && r.triaged_at !== null)).toBe(true);
    const stillListed = await listUntriagedAlarms(te.rt.db, 0, 1000);
    expect(stillListed.filter((a) => ids.includes(a.id))).toEqual([]);
  });

  it('refuses a status that disagrees with the timestamps the open and due indexes read', async () => {
    const { created } = await storeAlarms(te.rt.db, [alarm('aabenraa', 2)]);
    const id = created[0]!.id;
    await expect(
      te.rt.db.updateTable('alarms').set({ status: 'resolved' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/alarms_status_times/);
    await expect(
      te.rt.db.updateTable('alarms').set({ status: 'claimed' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/alarms_status_times/);
    await expect(
      te.rt.db.updateTable('alarms').set({ claimed_at: new Date() }).where('id', '=', id).execute(),
    ).rejects.toThrow(/alarms_status_times/);
  });
});
