// Deadlines are data: an alarm unanswered past its answer target, a claimed alarm left unresolved, a
// dispatch not accepted in time each escalate exactly once, whichever worker finds them and whenever
// it starts, and the escalation reaches the consoles in scope at once.
//
// Elapsed time is simulated by moving the stored timestamps back (received_at, claimed_at,
// requested_at): the deadlines are computed from them, so this is the passing of time as the worker
// sees it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import { claimAlarm, resolveAlarm } from '../../db/decisions.js';
import { updateDispatchStatus } from '../../db/dispatches.js';
import type { Escalated } from '../../db/escalations.js';
import { toAlarmView, toDispatchView } from '../../db/views.js';
import { hasAnswerTarget, LANE_WITHOUT_ANSWER_TARGET } from '../../domain/escalation.js';
import { EVENT_TYPES, laneFor } from '../../domain/events.js';
import type { LiveMessage } from '../../domain/views.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { acceptAlarms } from '../../services/intake/accept-alarms.js';
import { escalateOverdue } from '../../services/triage/escalation.js';
import { triageAlarm } from '../../services/triage/triage-alarm.js';
import { createTriageWorker, type TriageWorker } from '../../services/triage/worker.js';
import { login, openFeed } from '../console/helpers.js';
import { createTestEnv, eventually, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  const reg = testRegistry(60);
  // Aabenraa with the shortest limits the registry allows; Tønder with the defaults (60 s, 15 and 10 min).
  reg.municipalities = reg.municipalities.map((m) =>
    m.id === 'aabenraa' ? { ...m, answerTargetSeconds: 10, unresolvedAfterMinutes: 1, dispatchAcceptMinutes: 1 } : m,
  );
  await seedRegistry(te, reg);
});
afterAll(() => te.close());

let device = 0;
/** An alarm from a device of its own (so no two share an incident), stored as ingest does. */
async function store(m: 'aabenraa' | 'toender', type = 'pendant'): Promise<string> {
  const i = (device++ % 30) * 2 + (m === 'aabenraa' ? 0 : 1);
  const out = await acceptAlarms(te.rt, [{ gatewayId: `gw-${m}`, ...testEvent(m, i, type) } as NewAlarm]);
  return out.results[0]!.alarmId;
}
const row = (id: string) => te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const dispatchRow = (id: string) =>
  te.rt.db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** Move a stored timestamp `seconds` into the past, as if that much time had passed. */
const back = (table: 'alarms' | 'dispatches', column: string, ids: string[], seconds: number) =>
  sql`UPDATE ${sql.table(table)} SET ${sql.ref(column)} = ${sql.ref(column)} - make_interval(secs => ${seconds})
      WHERE id = ANY(${ids}::uuid[])`.execute(te.rt.db);
const recorded = (id: string) =>
  te.rt.db.selectFrom('escalations').selectAll().where('entity_id', '=', id).orderBy('id').execute();
const changesOf = (id: string) =>
  te.rt.db
    .selectFrom('changes')
    .select(['seq', 'payload'])
    .where('entity_id', '=', id)
    .orderBy('seq')
    .execute() as Promise<{ seq: number; payload: Record<string, unknown> }[]>;
const ids = (es: Escalated[]) => es.map((e) => e.id).sort();
/**
 * The ids among `wanted` that were escalated, sorted, after checking that nothing was escalated twice
 * (deadlines of other tests in this file may pass meanwhile, and are left out).
 */
function escalatedAmong(es: Escalated[], wanted: string[]): string[] {
  const keys = es.map((e) => `${e.id}/${e.reason}`);
  expect(new Set(keys).size, 'an escalation repeated').toBe(keys.length);
  const set = new Set(wanted);
  return ids(es.filter((e) => set.has(e.id)));
}

/** A worker that only escalates (no lanes; the reconciler and supervision as good as off). */
function escalatingWorker(everyMs = 25): TriageWorker & { passes: Escalated[][] } {
  const worker = createTriageWorker(te.runtime(), {
    lanes: [],
    reconcileEveryMs: 600_000,
    superviseEveryMs: 600_000,
    escalateEveryMs: everyMs,
  });
  const passes: Escalated[][] = [];
  worker.events.on('escalations', (e) => passes.push(e));
  let closing: Promise<void> | undefined;
  const closeWorker = worker.close.bind(worker);
  const close = () => (closing ??= closeWorker());
  onTestFinished(close);
  return Object.assign(worker, { passes, close });
}
/** Resolves after the worker has finished `n` more passes than it has now. */
const morePasses = (w: { passes: unknown[] }, n = 2) => {
  const target = w.passes.length + n;
  return eventually(() => w.passes.length >= target, 10_000, `${n} more escalation passes`);
};

describe('the answer target', () => {
  it('applies to exactly the types outside the technical lane, as the SQL asks', () => {
    for (const type of EVENT_TYPES) expect(hasAnswerTarget(type)).toBe(laneFor(type) !== LANE_WITHOUT_ANSWER_TARGET);
  });

  it('escalates an alarm left unanswered past its municipality’s target once, triaged or not, with its record and change', async () => {
    const untriaged = await store('aabenraa');
    const triaged = await store('aabenraa', 'fall');
    await triageAlarm(te.rt, triaged);
    const toender = await store('toender');
    const technical = await store('aabenraa', 'mains_failure');
    const young = await store('aabenraa');
    // Aabenraa's target is 10 s, Tønder's 60 s.
    await back('alarms', 'received_at', [untriaged, triaged, toender, technical], 11);
    await back('alarms', 'received_at', [young], 5);

    const first = await escalateOverdue(te.rt);
    expect(ids(first)).toEqual([untriaged, triaged].sort());
    expect(first.every((e) => e.reason === 'unanswered' && e.municipality === 'aabenraa')).toBe(true);

    const r = await row(untriaged);
    expect(r).toMatchObject({ status: 'received', escalated: true, escalation_reason: 'unanswered' });
    expect((await row(triaged)).status).toBe('triaged');
    const [rec] = await recorded(untriaged);
    expect(rec).toMatchObject({ kind: 'alarm', municipality_id: 'aabenraa', reason: 'unanswered' });
    expect(rec!.due_at.getTime()).toBe(new Date(r.received_at).getTime() + 10_000);
    expect(rec!.escalated_at.getTime()).toBe(r.escalated_at!.getTime());

    // The feed's latest change of the alarm is the escalated view.
    const changes = await changesOf(untriaged);
    expect(changes.map((c) => c.payload.escalated)).toEqual([false, true]);
    expect(changes.at(-1)!.payload).toEqual(JSON.parse(JSON.stringify(toAlarmView(r))));
    expect(toAlarmView(r).escalation).toEqual({ reason: 'unanswered', at: r.escalated_at!.toISOString() });

    // Nothing twice; Tønder's alarm at its own target; a technical event never for being unanswered.
    expect(await escalateOverdue(te.rt)).toEqual([]);
    await back('alarms', 'received_at', [toender], 50);
    await back('alarms', 'received_at', [technical], 3600);
    expect(ids(await escalateOverdue(te.rt))).toEqual([toender]);
    expect((await row(technical)).escalated).toBe(false);
    expect((await row(young)).escalated).toBe(false);
    expect(await changesOf(untriaged)).toHaveLength(2);
  });

  it('keeps an unanswered escalation as history after the claim; left claimed, the alarm escalates unresolved', async () => {
    const id = await store('aabenraa');
    await back('alarms', 'received_at', [id], 11);
    expect(ids(await escalateOverdue(te.rt))).toEqual([id]);

    const claim = await claimAlarm(te.rt.db, id, 'op-aab');
    if (claim.outcome !== 'changed') throw new Error(`claim: ${claim.outcome}`);
    expect(toAlarmView(claim.value)).toMatchObject({
      status: 'claimed',
      escalated: true,
      escalation: { reason: 'unanswered' },
    });
    expect(await escalateOverdue(te.rt)).toEqual([]);

    // Aabenraa's limit for a claimed alarm is 1 minute.
    await back('alarms', 'claimed_at', [id], 59);
    expect(await escalateOverdue(te.rt)).toEqual([]);
    await back('alarms', 'claimed_at', [id], 2);
    const unresolved = await escalateOverdue(te.rt);
    expect(unresolved).toMatchObject([{ id, reason: 'unresolved' }]);
    const r = await row(id);
    expect(toAlarmView(r)).toMatchObject({
      status: 'claimed',
      escalated: true,
      escalation: { reason: 'unresolved', at: r.escalated_at!.toISOString() },
    });
    expect((await recorded(id)).map((e) => e.reason)).toEqual(['unanswered', 'unresolved']);
    expect(await escalateOverdue(te.rt)).toEqual([]);

    // The decision ends it; the view keeps what happened.
    const resolved = await resolveAlarm(te.rt.db, id, 'op-aab', { outcome: 'phone_resolvable' });
    expect(resolved.outcome).toBe('changed');
    expect(toAlarmView(await row(id))).toMatchObject({
      status: 'resolved',
      escalated: true,
      escalation: { reason: 'unresolved' },
    });
  });

  it('escalates a claimed technical alarm left unresolved, and an alarm claimed in time only for being unresolved', async () => {
    const technical = await store('aabenraa', 'low_battery');
    const answered = await store('aabenraa');
    await claimAlarm(te.rt.db, technical, 'op-aab');
    await claimAlarm(te.rt.db, answered, 'op-aab');
    await back('alarms', 'received_at', [technical, answered], 3600);
    await back('alarms', 'claimed_at', [technical, answered], 61);
    const out = await escalateOverdue(te.rt);
    expect(out.map((e) => [e.id, e.reason]).sort()).toEqual(
      [
        [technical, 'unresolved'],
        [answered, 'unresolved'],
      ].sort(),
    );
    expect((await recorded(answered)).map((e) => e.reason)).toEqual(['unresolved']);
  });
});

describe('a dispatch', () => {
  it('not accepted in time escalates back to the operators, once; one accepted in time does not', async () => {
    const [a, b] = [await store('aabenraa'), await store('aabenraa')];
    const dispatchOf = async (id: string) => {
      const r = await resolveAlarm(te.rt.db, id, 'op-aab', { outcome: 'dispatch', note: 'key safe at the back door' });
      if (r.outcome !== 'changed') throw new Error(r.outcome);
      return r.value.dispatch!.id;
    };
    const [late, accepted] = [await dispatchOf(a), await dispatchOf(b)];
    expect((await updateDispatchStatus(te.rt.db, accepted, { status: 'accepted', team: 'Team 3' })).outcome).toBe(
      'changed',
    );
    // Aabenraa's limit for accepting a dispatch is 1 minute. The alarms themselves are resolved: no deadline.
    await back('dispatches', 'requested_at', [late, accepted], 61);
    await back('alarms', 'received_at', [a, b], 3600);
    const out = await escalateOverdue(te.rt);
    expect(out).toMatchObject([{ kind: 'dispatch', id: late, reason: 'not_accepted', municipality: 'aabenraa' }]);
    expect(await escalateOverdue(te.rt)).toEqual([]);

    const d = await dispatchRow(late);
    const view = toDispatchView(d);
    expect(view).toMatchObject({
      status: 'requested',
      escalation: { reason: 'not_accepted', at: d.escalated_at!.toISOString() },
    });
    const changes = await changesOf(late);
    expect(changes.at(-1)!.payload).toEqual(JSON.parse(JSON.stringify(view)));
    expect(toDispatchView(await dispatchRow(accepted)).escalation).toBeNull();

    // Accepted late: the escalation stays on the view as history.
    await updateDispatchStatus(te.rt.db, late, { status: 'accepted' });
    expect(toDispatchView(await dispatchRow(late))).toMatchObject({
      status: 'accepted',
      escalation: { reason: 'not_accepted' },
    });
    expect(await recorded(late)).toHaveLength(1);
  });

  it('escalated, is a change of the dispatch like any other: its municipality’s webhook gets a delivery of its own', async () => {
    await sql`INSERT INTO webhooks (municipality_id, url, secret) VALUES ('toender', 'http://127.0.0.1:9/hook', ${'s'.repeat(40)})`.execute(
      te.rt.db,
    );
    const [alarm] = [await store('toender')];
    const r = await resolveAlarm(te.rt.db, alarm!, 'op-toe', { outcome: 'dispatch' });
    if (r.outcome !== 'changed') throw new Error(r.outcome);
    const id = r.value.dispatch!.id;
    await back('dispatches', 'requested_at', [id], 3600);
    expect(await escalateOverdue(te.rt)).toMatchObject([{ kind: 'dispatch', id, reason: 'not_accepted' }]);
    const deliveries = await te.rt.db
      .selectFrom('webhook_deliveries')
      .select(['version', 'dispatch'])
      .where('dispatch_id', '=', id)
      .orderBy('version')
      .execute();
    expect(deliveries.map((d) => d.version)).toEqual([1, 2]);
    expect(deliveries[1]!.dispatch).toMatchObject({ id, escalation: { reason: 'not_accepted' } });
  });
});

describe('several workers', () => {
  it('escalate each deadline exactly once when they race for the same alarms', async () => {
    const alarms = await Promise.all(Array.from({ length: 40 }, () => store('aabenraa')));
    await back('alarms', 'received_at', alarms, 11);
    const runtimes = [te.rt, te.runtime(), te.runtime(), te.runtime()];
    const rounds = await Promise.all(runtimes.flatMap((rt) => [escalateOverdue(rt), escalateOverdue(rt)]));
    expect(escalatedAmong(rounds.flat(), alarms)).toEqual([...alarms].sort());
    const rows = await te.rt.db
      .selectFrom('escalations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('entity_id', 'in', alarms)
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(alarms.length);
    for (const id of alarms) expect((await changesOf(id)).map((c) => c.payload.escalated)).toEqual([false, true]);
  });

  it('escalate each deadline exactly once when two workers’ loops run side by side', async () => {
    const first = escalatingWorker();
    const second = escalatingWorker();
    const alarms = await Promise.all(Array.from({ length: 20 }, () => store('toender')));
    const dispatches: string[] = [];
    for (const id of alarms.slice(0, 5)) {
      const r = await resolveAlarm(te.rt.db, id, 'op-toe', { outcome: 'dispatch' });
      if (r.outcome === 'changed') dispatches.push(r.value.dispatch!.id);
    }
    await back('alarms', 'received_at', alarms, 61);
    await back('dispatches', 'requested_at', dispatches, 601);
    const expected = [...alarms.slice(5), ...dispatches].sort();
    const both = () => [...first.passes, ...second.passes].flat();
    await eventually(
      () => escalatedAmong(both(), expected).length >= expected.length,
      10_000,
      'every deadline escalated',
    );
    // Both loops keep looking: still nothing twice.
    await Promise.all([morePasses(first), morePasses(second)]);
    expect(escalatedAmong(both(), expected)).toEqual(expected);
    const recordedRows = await te.rt.db
      .selectFrom('escalations')
      .select('entity_id')
      .where('entity_id', 'in', expected)
      .execute();
    expect(recordedRows.map((r) => r.entity_id).sort()).toEqual(expected);
  });
});

describe('a restart', () => {
  it('loses no deadline: one that passes while no worker runs is escalated by the next worker to start', async () => {
    const before = escalatingWorker();
    const id = await store('aabenraa');
    // Due in 10 s: the running worker looks and leaves it.
    await morePasses(before);
    expect((await row(id)).escalated).toBe(false);
    await before.close();

    // The deadline passes while no worker runs; nothing escalates it.
    await back('alarms', 'received_at', [id], 11);
    expect((await row(id)).escalated).toBe(false);

    const after = escalatingWorker();
    await eventually(() => after.passes.flat().some((e) => e.id === id), 10_000, 'the new worker escalating it');
    expect(await row(id)).toMatchObject({ escalated: true, escalation_reason: 'unanswered' });
    expect(before.passes.flat().some((e) => e.id === id)).toBe(false);
    const metrics = await after.registry.metrics();
    expect(metrics).toMatch(
      /^rc_escalations_total\{[^}]*reason="unanswered"[^}]*municipality="aabenraa"[^}]*\} [1-9]/m,
    );
  });
});

describe('the live feed', () => {
  it('shows an escalated alarm at once to the operator and the supervisor in scope, never to another municipality', async () => {
    const built = await buildConsoleApp(te.runtime());
    onTestFinished(() => built.close());
    const url = await built.app.listen({ port: 0, host: '127.0.0.1' });
    const feeds = await Promise.all(
      (['op-aab', 'sup-all', 'op-toe'] as const).map(async (u) => openFeed(url, { token: await login(built.app, u) })),
    );
    onTestFinished(() => Promise.all(feeds.map((f) => f.close())).then(() => undefined));
    const [aab, sup, toe] = feeds as [(typeof feeds)[0], (typeof feeds)[0], (typeof feeds)[0]];
    await Promise.all(feeds.map((f) => f.synced()));

    escalatingWorker();
    const id = await store('aabenraa');
    await back('alarms', 'received_at', [id], 11);
    const escalatedOn = (m: LiveMessage) => m.type === 'alarm' && m.alarm.id === id && m.alarm.escalated;
    const [seenByOperator, seenBySupervisor] = await Promise.all([
      aab.waitFor(escalatedOn, 5000, 'the escalation on the operator’s feed'),
      sup.waitFor(escalatedOn, 5000, 'the escalation on the supervisor’s feed'),
    ]);
    expect(seenByOperator).toEqual(seenBySupervisor);
    expect(seenByOperator).toMatchObject({
      type: 'alarm',
      alarm: { id, status: 'received', escalated: true, escalation: { reason: 'unanswered', at: expect.any(String) } },
    });

    // Tønder's operator: a later Tønder alarm arrives, and nothing of Aabenraa's ever did.
    const marker = await store('toender');
    await toe.waitFor((m) => m.type === 'alarm' && m.alarm.id === marker, 5000, 'the Tønder alarm');
    expect(toe.messages.some((m) => m.type === 'alarm' && m.alarm.municipality !== 'toender')).toBe(false);
  });
});
