// Retention of alarms' personal data: past its municipality's retention, an alarm loses its details, notes
// and team, and its citizen's and device's ids become pseudonyms (in the alarm, its dispatch, the change
// log and webhook deliveries), while every statistic stays exactly as it was, from the stored rollups and
// from a rebuild over the raw alarms alike. Runs in short batches, once per alarm however many workers.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMonths, monthOf } from '../../domain/statistics.js';
import { importRegistry } from '../../services/admin/registry.js';
import { applyRetention, type RetentionResult } from '../../services/retention/retention.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { keepStatistics, rebuildRollups } from '../../services/statistics/upkeep.js';
import { consoleFixture, newAlarm, storeAlarms } from '../console/helpers.js';
import { insertPastAlarms, type PastAlarm } from '../statistics/history.js';

const fx = consoleFixture();
const db = () => fx.te.rt.db;

/** Five months back: older than Aabenraa's retention (3 months, set below), younger than Tønder's (24). */
const PAST = addMonths(monthOf(new Date()), -5);
const FROM = addMonths(PAST, -1);
const TO = addMonths(PAST, 1);
const at = (day: number, hour = 8) => `${PAST}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;

let aab: string[] = [];
let toe: string[] = [];
let dispatchId = '';

/** Statistics as an analyst of both would read them: every figure of the months around PAST. */
const statistics = async () => {
  const r = await fx.get('sup-all', `/v1/stats/monthly?from=${FROM}&to=${TO}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
};

async function rollUpAll() {
  for (let i = 0, done = { rolledUp: 1 }; i < 20 && done.rolledUp > 0; i++) done = await keepStatistics(db());
}

beforeAll(async () => {
  await importRegistry(db(), {
    municipalities: [{ id: 'aabenraa', name: 'Aabenraa', code: '580', retentionMonths: 3 }],
  });
  // A repeat caller (31 alarms of one citizen in the month), decisions of every kind, a dispatch.
  const repeat: PastAlarm[] = Array.from({ length: 31 }, (_, i) => ({
    municipality: 'aabenraa',
    type: 'pendant',
    receivedAt: at(1 + (i % 27), 6 + (i % 12)),
    citizen: 'c-aabenraa-0',
    triage: 'false_alarm',
    claimedAfter: 20 + i,
    outcome: i % 3 === 0 ? 'phone_resolvable' : 'false_alarm',
  }));
  aab = await insertPastAlarms(db(), [
    ...repeat,
    { municipality: 'aabenraa', type: 'fall', receivedAt: at(9), citizen: 'c-aabenraa-2', triage: 'dispatch', claimedAfter: 30, outcome: 'dispatch', dispatch: { requestedAfter: 60, arrivedAfter: 1500 } },
    { municipality: 'aabenraa', type: 'smoke', receivedAt: at(10), citizen: 'c-aabenraa-4', triage: 'dispatch' },
  ]); // prettier-ignore
  toe = await insertPastAlarms(db(), [
    { municipality: 'toender', type: 'pendant', receivedAt: at(3), citizen: 'c-toender-1', triage: 'phone_resolvable', claimedAfter: 40, outcome: 'phone_resolvable' },
    { municipality: 'toender', type: 'fall', receivedAt: at(4), citizen: 'c-toender-3', triage: 'dispatch', claimedAfter: 15, outcome: 'dispatch', dispatch: { requestedAfter: 30, arrivedAfter: 900 } },
  ]); // prettier-ignore
  // What a person wrote or a gateway sent, everywhere it is kept.
  await sql`UPDATE alarms SET details = '{"room": "bathroom", "caller": "Karen"}'::jsonb, note = 'fell in the bathroom, daughter informed'`.execute(
    db(),
  );
  await sql`UPDATE dispatches SET note = 'key under the mat', team = 'Team Karen N.'`.execute(db());
  const dispatch = await db()
    .selectFrom('dispatches')
    .selectAll()
    .where('alarm_id', '=', aab[31]!)
    .executeTakeFirstOrThrow();
  dispatchId = dispatch.id;
  await db()
    .insertInto('alarm_corrections')
    .values({
      alarm_id: aab[0]!,
      municipality_id: 'aabenraa',
      alarm_received_at: new Date(at(1, 6)),
      previous_outcome: 'phone_resolvable',
      outcome: 'phone_resolvable',
      note: 'the daughter says she pressed it',
      corrected_by: 'sup-all',
    })
    .execute();
  const changes = [...aab.slice(30, 32), ...toe].map((id) => ({
    kind: 'alarm' as 'alarm' | 'dispatch',
    entity_id: id,
    municipality_id: aab.includes(id) ? 'aabenraa' : 'toender',
    payload: JSON.stringify({ id, citizenId: 'c-x', deviceId: 'dev-x', status: 'resolved' }),
  }));
  changes.push({
    kind: 'dispatch',
    entity_id: dispatchId,
    municipality_id: 'aabenraa',
    payload: JSON.stringify({
      id: dispatchId,
      citizenId: 'c-aabenraa-2',
      note: 'key under the mat',
      team: 'Team Karen N.',
    }),
  });
  await db().insertInto('changes').values(changes).execute();
  await db()
    .insertInto('webhooks')
    .values({ municipality_id: 'aabenraa', url: 'https://example.org/h', secret: 's' })
    .execute();
  await db()
    .insertInto('webhook_deliveries')
    .values({
      id: randomUUID(),
      municipality_id: 'aabenraa',
      dispatch_id: dispatchId,
      version: 1,
      dispatch: JSON.stringify({
        id: dispatchId,
        citizenId: 'c-aabenraa-2',
        note: 'key under the mat',
        team: 'Team Karen N.',
      }),
    })
    .execute();
  await rollUpAll();
});

describe('retention of personal data', () => {
  it('pseudonymises the alarms past their municipality’s retention, everywhere they are kept, and leaves the rest', async () => {
    const recent = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 3));
    await sql`UPDATE alarms SET details = '{"room": "kitchen"}'::jsonb WHERE id = ${recent[0]!}::uuid`.execute(db());
    const before = await statistics();
    const staleBefore = await db().selectFrom('stats_stale').selectAll().execute();

    const done = await applyRetention(db(), { auditRetentionMonths: 12, batchSize: 7 });
    expect(done).toMatchObject({ alarms: aab.length, dispatches: 1, busy: [] });

    const alarms = await db().selectFrom('alarms').selectAll().where('id', 'in', aab).execute();
    for (const a of alarms) {
      expect(a.details).toEqual({});
      expect(a.note).toBeNull();
      expect(a.citizen_id).toMatch(/^pseudonym:[0-9a-f]{32}$/);
      expect(a.device_id).toMatch(/^pseudonym:[0-9a-f]{32}$/);
    }
    // One citizen, one pseudonym: the repeat caller is still one caller; another citizen, another one.
    const repeat = new Set(alarms.filter((a) => aab.slice(0, 31).includes(a.id)).map((a) => a.citizen_id));
    expect(repeat.size).toBe(1);
    expect(alarms.find((a) => a.id === aab[31])!.citizen_id).not.toBe([...repeat][0]);

    const dispatch = await db()
      .selectFrom('dispatches')
      .selectAll()
      .where('id', '=', dispatchId)
      .executeTakeFirstOrThrow();
    expect(dispatch).toMatchObject({
      note: null,
      team: null,
      citizen_id: alarms.find((a) => a.id === aab[31])!.citizen_id,
    });
    const correction = await db()
      .selectFrom('alarm_corrections')
      .selectAll()
      .where('alarm_id', '=', aab[0]!)
      .executeTakeFirstOrThrow();
    expect(correction.note).toBeNull();
    const logged = await db()
      .selectFrom('changes')
      .select(['entity_id', 'payload'])
      .where('entity_id', 'in', [...aab, dispatchId])
      .execute();
    expect(logged).toHaveLength(3);
    for (const c of logged) {
      const text = JSON.stringify(c.payload);
      expect(text).not.toMatch(/c-x|dev-x|c-aabenraa-2|key under the mat|Karen/);
    }
    const delivery = await db().selectFrom('webhook_deliveries').select('dispatch').executeTakeFirstOrThrow();
    expect(JSON.stringify(delivery.dispatch)).not.toMatch(/c-aabenraa-2|key under the mat|Karen/);

    // Tønder keeps 24 months, and the recent alarm is recent: untouched.
    const kept = await db()
      .selectFrom('alarms')
      .selectAll()
      .where('id', 'in', [...toe, recent[0]!])
      .execute();
    expect(kept.map((a) => a.citizen_id).sort()).toEqual(['c-aabenraa-6', 'c-toender-1', 'c-toender-3']);
    expect(kept.filter((a) => toe.includes(a.id)).every((a) => a.note !== null)).toBe(true);
    expect(kept.find((a) => a.id === recent[0])!.details).toEqual({ room: 'kitchen' });
    const toeLog = await db().selectFrom('changes').select('payload').where('entity_id', 'in', toe).execute();
    expect(toeLog.every((c) => JSON.stringify(c.payload).includes('c-x'))).toBe(true);

    // Statistics exactly as they were: no stale mark, the rollups, and a rebuild from the raw alarms.
    expect(await db().selectFrom('stats_stale').selectAll().execute()).toEqual(staleBefore);
    const after = await statistics();
    expect(after).toEqual(before);
    const repeatCallers = after.municipalities.find((m: { id: string }) => m.id === 'aabenraa').months;
    expect(repeatCallers.find((m: { month: string }) => m.month === PAST).repeatCallers).toBe(1);
    await rebuildRollups(db());
    expect(await statistics()).toEqual(before);

    // A second round finds nothing left.
    expect(await applyRetention(db(), { auditRetentionMonths: 12 })).toMatchObject({ alarms: 0 });
  });

  it('follows the clock it is given: 22 months on, Tønder’s alarms are past their 24 months too', async () => {
    const before = await statistics();
    const now = new Date();
    now.setUTCMonth(now.getUTCMonth() + 22);
    const done = await applyRetention(db(), { auditRetentionMonths: 12, now });
    // Everything received before that clock's cutoff: Tønder's old alarms and every newer alarm of Aabenraa.
    expect(done.alarms).toBeGreaterThanOrEqual(toe.length);
    const alarms = await db().selectFrom('alarms').selectAll().where('id', 'in', toe).execute();
    expect(alarms.every((a) => a.citizen_id!.startsWith('pseudonym:') && a.note === null)).toBe(true);
    expect(await statistics()).toEqual(before);
  });

  it('works each alarm once when several workers run it at once', async () => {
    // A municipality of its own: the earlier rounds' watermarks have passed everything else.
    await importRegistry(db(), { municipalities: [{ id: 'aeroe', name: 'Ærø', code: '492', retentionMonths: 3 }] });
    const many = await insertPastAlarms(
      db(),
      Array.from({ length: 60 }, (_, i) => ({
        municipality: 'aeroe',
        type: 'pendant' as const,
        receivedAt: `${PAST}-0${1 + (i % 9)}T10:${String(i).padStart(2, '0')}:00Z`,
        citizen: `c-aeroe-${i % 7}`,
      })),
    );
    const runs = await Promise.all(
      [1, 2, 3].map(() => applyRetention(db(), { auditRetentionMonths: 12, batchSize: 4, maxBatches: 1000 })),
    );
    // Without the watermark's lock, two workers would take the same batch and both count it.
    expect(runs.reduce((n, r) => n + r.alarms, 0)).toBe(many.length);
    const rows = await db().selectFrom('alarms').select('citizen_id').where('id', 'in', many).execute();
    expect(rows.every((r) => /^pseudonym:[0-9a-f]{32}$/.test(r.citizen_id!))).toBe(true);
    expect(new Set(rows.map((r) => r.citizen_id)).size).toBe(7);
  });

  it('runs in every worker on its schedule, and the log says how many, never which', async () => {
    await importRegistry(db(), { municipalities: [{ id: 'faxe', name: 'Faxe', code: '320', retentionMonths: 3 }] });
    const [old] = await insertPastAlarms(db(), [
      { municipality: 'faxe', type: 'pendant', receivedAt: at(12), citizen: 'c-faxe-secret-1' },
    ]);
    const worker = createTriageWorker(fx.te.runtime(), {
      lanes: [],
      reconcileEveryMs: 600_000,
      superviseEveryMs: 600_000,
      escalateEveryMs: 600_000,
      statisticsEveryMs: 600_000,
      retentionEveryMs: 600_000,
    });
    try {
      // The loop's first round runs at start.
      const done = await new Promise<RetentionResult>((resolve) => worker.events.once('retention', resolve));
      expect(done.alarms).toBe(1);
    } finally {
      await worker.close();
    }
    const row = await db().selectFrom('alarms').select('citizen_id').where('id', '=', old!).executeTakeFirstOrThrow();
    expect(row.citizen_id).toMatch(/^pseudonym:/);
    const logs = fx.te.logs.join('');
    expect(logs).toContain('retention: personal data of old alarms pseudonymised');
    expect(logs).not.toContain('c-faxe-secret-1');
    expect(logs).not.toContain(old!);
  });
});
