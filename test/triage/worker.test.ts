// The worker triages every accepted alarm exactly once and never overrides an operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/alarms.js';
import { acceptAlarms } from '../../services/platform/accept.js';
import { createTriageWorker, triageAlarm } from '../../services/triage/index.js';
import { createTestEnv, eventually, seedRegistry, sleep, testEvent, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
});
afterAll(() => te.close());

const alarm = (m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const row = (id: string) => te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const changesOf = (id: string) =>
  te.rt.db.selectFrom('changes').select(['seq', 'payload']).where('entity_id', '=', id).orderBy('seq').execute();

describe('triage worker', () => {
  it('triages an accepted alarm and appends exactly one change, even when the job is delivered again', async () => {
    const worker = createTriageWorker(te.rt, { superviseEveryMs: 60_000 });
    try {
      const out = await acceptAlarms(te.rt, [alarm('aabenraa', 0, 'fall', { voice: 'no_answer' })]);
      const id = out.results[0]!.alarmId;
      const triaged = await eventually(async () => ((await row(id)).triaged_at ? row(id) : null), 10_000, 'triage');
      expect(triaged).toMatchObject({ status: 'triaged', triage_class: 'dispatch', triage_priority: 1 });
      expect(triaged.triage_reasons).toContain('fall detector, no voice contact');

      // Delivered again (a re-enqueue after a Redis hiccup): the worker runs it and nothing changes.
      await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
      await eventually(async () => !(await te.rt.queues.queues.urgent.getJob(id)), 10_000, 'second job done');
      expect(await triageAlarm(te.rt, id)).toEqual({ result: 'already_triaged' });
      const changes = await changesOf(id);
      expect(changes.map((c) => (c.payload as { status: string }).status)).toEqual(['received', 'triaged']);
    } finally {
      await worker.close();
    }
  });

  it('stores one triage when several workers take the same alarm at once', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('toender', 1, 'smoke')]);
    const id = results[0]!.alarmId;
    const outs = await Promise.all(Array.from({ length: 6 }, () => triageAlarm(te.rt, id)));
    expect(outs.filter((o) => o.result === 'triaged')).toHaveLength(1);
    expect(await changesOf(id)).toHaveLength(2);
  });

  it('never overwrites an operator’s claim made before triage', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('toender', 3, 'pendant', { voice: 'connected' })]);
    const id = results[0]!.alarmId;
    await te.rt.db
      .updateTable('alarms')
      .set({ status: 'claimed', claimed_by: 'op-toe', claimed_at: new Date() })
      .where('id', '=', id)
      .execute();
    await triageAlarm(te.rt, id);
    expect(await row(id)).toMatchObject({ status: 'claimed', claimed_by: 'op-toe', triage_class: 'phone_resolvable' });
  });

  it('re-advises a triaged press as false when the citizen cancels it, but keeps an unanswered press a dispatch', async () => {
    const press = alarm('aabenraa', 2, 'pendant', { voice: 'connected' });
    const silent = alarm('aabenraa', 4, 'pendant', { voice: 'no_answer' });
    const stored = await storeAlarms(te.rt.db, [press, silent]);
    const [pressId, silentId] = stored.results.map((r) => r.alarmId) as [string, string];
    await triageAlarm(te.rt, pressId);
    await triageAlarm(te.rt, silentId);
    expect((await row(pressId)).triage_class).toBe('phone_resolvable');

    const cancels = await storeAlarms(te.rt.db, [
      alarm('aabenraa', 2, 'cancel', { relatesTo: press.eventId }),
      alarm('aabenraa', 4, 'cancel', { relatesTo: silent.eventId }),
    ]);
    for (const r of cancels.results) await triageAlarm(te.rt, r.alarmId);
    const after = await row(pressId);
    expect(after).toMatchObject({ triage_class: 'false_alarm', status: 'triaged' });
    expect(after.triage_reasons).toContain('cancelled by the citizen on the device');
    expect((await changesOf(pressId)).length).toBe(3);
    expect((await row(silentId)).triage_class).toBe('dispatch');
    // The cancel joins the press's incident.
    expect((await row(cancels.results[0]!.alarmId)).incident_id).toBe(after.incident_id);
  });

  it('raises the urgency of repeated presses in one incident', async () => {
    const ids: string[] = [];
    for (let k = 0; k < 3; k++)
      ids.push(
        (await storeAlarms(te.rt.db, [alarm('toender', 5, 'pendant', { voice: 'connected' })])).results[0]!.alarmId,
      );
    for (const id of ids) await triageAlarm(te.rt, id);
    const [first, , third] = await Promise.all(ids.map(row));
    expect(third!.incident_id).toBe(first!.incident_id);
    expect(third!.triage_priority!).toBeLessThan(first!.triage_priority!);
    expect(third!.triage_reasons!.some((r) => r.startsWith('repeated alarm'))).toBe(true);
  });

  it('finishes a running job before it shuts down', async () => {
    const { results } = await storeAlarms(te.rt.db, [alarm('aabenraa', 8, 'pendant', { voice: 'no_answer' })]);
    const id = results[0]!.alarmId;
    const holder = await te.rt.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [id]);
      const worker = createTriageWorker(te.runtime(), { superviseEveryMs: 60_000, reconcileEveryMs: 60_000 });
      await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
      await eventually(
        async () => (await (await te.rt.queues.queues.urgent.getJob(id))?.getState()) === 'active',
        10_000,
        'job active',
      );
      let closed = false;
      const closing = worker.close().then(() => (closed = true));
      await sleep(300);
      expect(closed).toBe(false);
      await holder.query('COMMIT');
      await closing;
      expect(await row(id)).toMatchObject({ status: 'triaged', triage_class: 'dispatch' });
    } finally {
      holder.release();
    }
  });

  it('keeps personal data out of its log', async () => {
    const text = te.logs.join('');
    for (const secret of ['Borger', 'Vej 0', '+45 20', 'KS-10']) expect(text).not.toContain(secret);
  });
});
