// The worker triages every accepted alarm exactly once and never overrides an operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { acceptAlarms } from '../../services/intake/accept-alarms.js';
import { queueName } from '../../platform/queue.js';
import { triageAlarm } from '../../services/triage/triage-alarm.js';
import { createTriageWorker, type TriageWorker } from '../../services/triage/worker.js';
import { createTestEnv, eventually, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te, testRegistry(60));
});
afterAll(() => te.close());

const alarm = (m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const row = (id: string) => te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** Sessions of this database waiting for a row lock. */
const lockWaiters = async () =>
  (
    await te.rt.pool.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
  ).rowCount;
const untriaged = async (ids: string[]) =>
  (await te.rt.db.selectFrom('alarms').select('id').where('id', 'in', ids).where('triaged_at', 'is', null).execute())
    .length;
const changesOf = (id: string) =>
  te.rt.db.selectFrom('changes').select(['seq', 'payload']).where('entity_id', '=', id).orderBy('seq').execute();
/** A worker whose statements give up after 200 ms waiting for a lock; no reconciler or supervision. */
function impatientWorker(): TriageWorker {
  const url = new URL(te.config.databaseUrl);
  url.searchParams.set('options', '-c lock_timeout=200');
  return createTriageWorker(te.runtime({ DATABASE_URL: url.toString() }), {
    superviseEveryMs: 60_000,
    reconcileEveryMs: 60_000,
  });
}

/**
 * What the worker did with each alarm, as events: `finished(id)` resolves with the outcome of the next
 * run of a job holding the alarm that completes ('triaged', 'already_triaged', 'missing') or fails
 * ('failed: <message>'), from the moment this was called on (earlier runs are not kept).
 */
function jobEvents(worker: TriageWorker) {
  const results = new Map<string, string[]>();
  const waiters = new Map<string, (r: string) => void>();
  const settle = (id: string, result: string) => {
    const waiter = waiters.get(id);
    if (waiter) {
      waiters.delete(id);
      waiter(result);
    } else results.set(id, [...(results.get(id) ?? []), result]);
  };
  worker.events.on('alarm', (id, result) => settle(id, result));
  worker.events.on('failed', (ids, err) => ids.forEach((id) => settle(id, `failed: ${err.message}`)));
  return {
    finished: (id: string) =>
      new Promise<string>((resolve) => {
        const queued = results.get(id);
        if (queued?.length) resolve(queued.shift()!);
        else waiters.set(id, resolve);
      }),
  };
}

describe('triage worker', () => {
  it('triages an accepted alarm and appends exactly one change, even when the job is delivered again', async () => {
    const worker = createTriageWorker(te.rt, { superviseEveryMs: 60_000 });
    const jobs = jobEvents(worker);
    try {
      const out = await acceptAlarms(te.rt, [alarm('aabenraa', 0, 'fall', { voice: 'no_answer' })]);
      const id = out.results[0]!.alarmId;
      expect(await jobs.finished(id)).toBe('triaged');
      const triaged = await row(id);
      expect(triaged).toMatchObject({ status: 'triaged', triage_class: 'dispatch', triage_priority: 1 });
      expect(triaged.triage_reasons).toContain('fall detector, no voice contact');

      // Delivered again (a re-enqueue after a Redis hiccup): the worker runs it and nothing changes.
      await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
      expect(await jobs.finished(id)).toBe('already_triaged');
      expect(await triageAlarm(te.rt, id)).toEqual({ result: 'already_triaged' });
      const changes = await changesOf(id);
      expect(changes.map((c) => (c.payload as { status: string }).status)).toEqual(['received', 'triaged']);

      const metrics = await worker.registry.metrics();
      expect(metrics).toMatch(/^rc_triage_latency_seconds_count\{[^}]*lane="urgent"[^}]*\} [1-9]/m);
      expect(metrics).toMatch(/^rc_alarms_triaged_total\{[^}]*class="dispatch"[^}]*\} [1-9]/m);
      expect(metrics).toMatch(/^rc_queue_depth\{[^}]*lane="technical"[^}]*state="waiting"/m);
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
    // Advised (a press nobody has cancelled: a visit cannot be ruled out), and still the operator's.
    expect(await row(id)).toMatchObject({ status: 'claimed', claimed_by: 'op-toe', triage_class: 'dispatch' });
  });

  it('re-advises a triaged press as false when the citizen cancels it, but keeps an unanswered press a dispatch', async () => {
    const press = alarm('aabenraa', 2, 'pendant', { voice: 'connected' });
    const silent = alarm('aabenraa', 4, 'pendant', { voice: 'no_answer' });
    const stored = await storeAlarms(te.rt.db, [press, silent]);
    const [pressId, silentId] = stored.results.map((r) => r.alarmId) as [string, string];
    await triageAlarm(te.rt, pressId);
    await triageAlarm(te.rt, silentId);
    expect((await row(pressId)).triage_class).toBe('dispatch');

    const cancels = await storeAlarms(te.rt.db, [
      alarm('aabenraa', 2, 'cancel', { relatesTo: press.eventId }),
      alarm('aabenraa', 4, 'cancel', { relatesTo: silent.eventId }),
    ]);
    for (const r of cancels.results) await triageAlarm(te.rt, r.alarmId);
    const after = await row(pressId);
    expect(after).toMatchObject({ triage_class: 'false_alarm', status: 'triaged' });
    expect(after.triage_reasons).toEqual([
      expect.stringMatching(/^cancelled by the citizen on the device after \d+ s$/),
    ]);
    expect(after.triage_reason_keys).toEqual([{ key: 'cancelled_after', params: { seconds: expect.any(Number) } }]);
    expect((await changesOf(pressId)).length).toBe(3);
    expect((await row(silentId)).triage_class).toBe('dispatch');
    // The cancel joins the press's incident.
    expect((await row(cancels.results[0]!.alarmId)).incident_id).toBe(after.incident_id);
  });

  it('settles a press as cancelled when its cancel is triaged first', async () => {
    const press = alarm('toender', 11, 'pendant', { voice: 'connected' });
    const [pressId, cancelId] = (
      await storeAlarms(te.rt.db, [press, alarm('toender', 11, 'cancel', { relatesTo: press.eventId })])
    ).results.map((r) => r.alarmId) as [string, string];
    expect(await triageAlarm(te.rt, cancelId)).toMatchObject({ result: 'triaged', readvised: null });
    expect((await row(pressId)).status).toBe('received');
    await triageAlarm(te.rt, pressId);
    expect(await row(pressId)).toMatchObject({ status: 'triaged', triage_class: 'false_alarm' });
    expect(await changesOf(pressId)).toHaveLength(2);
  });

  it('settles a press as cancelled when its cancel arrives while the press is being triaged', async () => {
    const press = alarm('aabenraa', 20, 'pendant', { voice: 'connected' });
    const pressId = (await storeAlarms(te.rt.db, [press])).results[0]!.alarmId;
    // Hold the press's row so its triage is caught mid-way, then let the cancel arrive and be triaged.
    const holder = await te.rt.pool.connect();
    let pressTriage: Promise<unknown> | undefined;
    let cancelTriage: Promise<unknown> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [pressId]);
      pressTriage = triageAlarm(te.rt, pressId);
      await eventually(lockWaiters, 5_000, 'press triage waiting on its row');
      const cancel = await storeAlarms(te.rt.db, [alarm('aabenraa', 20, 'cancel', { relatesTo: press.eventId })]);
      cancelTriage = triageAlarm(te.rt, cancel.results[0]!.alarmId);
      // The cancel's triage has stored its own advice and now waits for the press's row as well.
      await eventually(async () => (await lockWaiters()) === 2, 5_000, 'cancel triage waiting on the press’s row');
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    await Promise.all([pressTriage, cancelTriage]);
    expect(await row(pressId)).toMatchObject({ status: 'triaged', triage_class: 'false_alarm' });
  });

  it('leaves a claimed press to its operator when the cancel comes', async () => {
    const press = alarm('toender', 13, 'pendant', { voice: 'connected' });
    const pressId = (await storeAlarms(te.rt.db, [press])).results[0]!.alarmId;
    await triageAlarm(te.rt, pressId);
    await te.rt.db
      .updateTable('alarms')
      .set({ status: 'claimed', claimed_by: 'op-toe', claimed_at: new Date() })
      .where('id', '=', pressId)
      .execute();
    const cancel = await storeAlarms(te.rt.db, [alarm('toender', 13, 'cancel', { relatesTo: press.eventId })]);
    await triageAlarm(te.rt, cancel.results[0]!.alarmId);
    // The operator has it: the cancel does not re-advise it under their hands.
    expect(await row(pressId)).toMatchObject({ status: 'claimed', triage_class: 'dispatch' });
    expect(await changesOf(pressId)).toHaveLength(2);
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
        async () => (await te.rt.queues.alarmsIn('urgent', ['active'])).includes(id),
        10_000,
        'job active',
      );
      await eventually(async () => (await lockWaiters()) === 1, 5_000, 'the job waiting on the alarm’s row');
      // The fence: the lanes without a job close all the way, while the urgent lane's job still waits.
      const others = worker.workers.filter((w) => w.name !== queueName('urgent'));
      expect(others).toHaveLength(2);
      const othersClosed = Promise.all(others.map((w) => new Promise<void>((r) => w.once('closed', () => r()))));
      let closed = false;
      const closing = worker.close().then(() => (closed = true));
      await othersClosed;
      expect(closed).toBe(false);
      expect(await lockWaiters()).toBe(1);
      await holder.query('COMMIT');
      await closing;
      expect(await row(id)).toMatchObject({ status: 'triaged', triage_class: 'dispatch' });
    } finally {
      holder.release();
    }
  });

  it('keeps personal data out of its log, also when the triage of a citizen’s alarm fails', async () => {
    // Citizen 14 has every personal field filled in, notes included.
    const citizen = testRegistry(60).citizens[14]!;
    expect(citizen).toMatchObject({ id: 'c-aabenraa-14', notes: 'demens' });
    const from = te.logs.length;
    const { results } = await storeAlarms(te.rt.db, [alarm('aabenraa', 14, 'fall', { voice: 'no_answer' })]);
    const id = results[0]!.alarmId;
    expect((await row(id)).citizen_id).toBe(citizen.id);
    // A worker whose statements give up after 200 ms waiting for a lock, while the alarm's row is held:
    // its first attempt fails (and is logged), the retry after the row is free triages the alarm.
    const worker = impatientWorker();
    const jobs = jobEvents(worker);
    const holder = await te.rt.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [id]);
      await te.rt.queues.enqueue([{ alarmId: id, lane: 'urgent' }]);
      expect(await jobs.finished(id)).toMatch(/^failed: .*lock timeout/);
      await holder.query('ROLLBACK');
      expect(await jobs.finished(id)).toBe('triaged');
    } finally {
      holder.release();
      await worker.close();
    }
    expect(await row(id)).toMatchObject({ status: 'triaged', triage_class: 'dispatch' });

    // The failure was logged, naming the alarm (this test's lines only)...
    const lines = te.logs.slice(from);
    expect(lines.some((l) => l.includes(id))).toBe(true);
    // ...and nothing in the log, this test's lines or any earlier one, names the citizen.
    const text = te.logs.join('');
    for (const secret of [
      citizen.name,
      citizen.address,
      citizen.phone,
      citizen.keySafe,
      citizen.notes,
      'Borger',
      'Vej 0',
      '+45 20',
      'KS-10',
    ])
      expect(text).not.toContain(secret);
  });

  it('triages the other alarms of a shared transaction when one of them fails, and only that one’s job fails', async () => {
    const stored = await storeAlarms(
      te.rt.db,
      Array.from({ length: 12 }, (_, i) => alarm(i % 2 ? 'toender' : 'aabenraa', 30 + i, 'low_battery')),
    );
    const ids = stored.results.map((r) => r.alarmId);
    const [stuck, ...others] = ids as [string, ...string[]];
    const worker = impatientWorker();
    const jobs = jobEvents(worker);
    const holder = await te.rt.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM alarms WHERE id = $1 FOR UPDATE', [stuck]);
      // Two jobs at once, as two commits would queue them: the stuck alarm's and another.
      await Promise.all([
        te.rt.queues.enqueue(ids.slice(0, 6).map((alarmId) => ({ alarmId, lane: 'technical' as const }))),
        te.rt.queues.enqueue(ids.slice(6).map((alarmId) => ({ alarmId, lane: 'technical' as const }))),
      ]);
      expect(await jobs.finished(stuck)).toMatch(/^failed: .*lock timeout/);
      // The other job's alarms are triaged, and so are the stuck alarm's job-mates, while it is still held.
      for (const id of ids.slice(6)) expect(await jobs.finished(id)).toBe('triaged');
      expect(await untriaged(others)).toBe(0);
      await holder.query('ROLLBACK');
      expect(await jobs.finished(stuck)).toBe('triaged');
    } finally {
      holder.release();
      await worker.close();
    }
    expect(await untriaged(ids)).toBe(0);
    for (const id of ids) expect(await changesOf(id)).toHaveLength(2);
  });
});
