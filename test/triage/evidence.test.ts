// Operators' decisions teach triage: each decision updates the citizen's, the municipality's and the
// centre's summary rows in its own transaction, once, a correction moves them, and the worker's next
// triage of the citizen's press follows what was learned, with the reasons and evidence on the view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAlarms, type NewAlarm } from '../../db/accept.js';
import { correctOutcome } from '../../db/corrections.js';
import { resolveAlarm } from '../../db/decisions.js';
import { learnFromDecision } from '../../db/triage-evidence.js';
import { toAlarmView } from '../../db/views.js';
import type { TriageClass } from '../../domain/events.js';
import { isNightHour, localHour } from '../../domain/time.js';
import { VISIT_RISK_DISPATCH } from '../../domain/triage.js';
import { alarmView } from '../../domain/views.js';
import { acceptAlarms } from '../../services/intake/accept-alarms.js';
import { triageAlarm } from '../../services/triage/triage-alarm.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { createTestEnv, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

let te: TestEnv;
beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te, testRegistry(120));
});
afterAll(() => te.close());

const alarm = (m: string, i: number, type = 'pendant', extra: Record<string, unknown> = {}): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, i, type, extra) }) as NewAlarm;
const row = (id: string) => te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const evidence = (scope: string, key: string) =>
  te.rt.db
    .selectFrom('triage_evidence')
    .selectAll()
    .where('scope', '=', scope as 'citizen')
    .where('key', '=', key)
    .executeTakeFirst();
const counts = async (scope: string, key: string) => {
  const e = await evidence(scope, key);
  return e
    ? { false_alarm: e.false_alarm, phone_resolvable: e.phone_resolvable, dispatch: e.dispatch }
    : { false_alarm: 0, phone_resolvable: 0, dispatch: 0 };
};
const total = (c: Record<TriageClass, number>) => c.false_alarm + c.phone_resolvable + c.dispatch;

/** A press of citizen i of m, stored and triaged: its row. */
async function press(m: string, i: number, extra: Record<string, unknown> = {}) {
  const id = (await storeAlarms(te.rt.db, [alarm(m, i, 'pendant', { voice: 'connected', ...extra })])).results[0]!
    .alarmId;
  await triageAlarm(te.rt, id);
  return row(id);
}
/** A press of citizen i of m, decided `outcome` by an operator. */
async function decided(m: string, i: number, outcome: TriageClass) {
  const a = await press(m, i);
  const out = await resolveAlarm(te.rt.db, a.id, 'op-both', { outcome });
  expect(out.outcome).toBe('changed');
  return a;
}

describe('learning from decisions, in the decision’s transaction', () => {
  it('counts a decision once for the citizen, the municipality and the centre, whatever is delivered again', async () => {
    const before = { m: await counts('municipality', 'aabenraa'), g: await counts('global', '') };
    const a = await decided('aabenraa', 0, 'phone_resolvable');
    const citizen = await counts('citizen', 'c-aabenraa-0');
    expect(citizen.phone_resolvable).toBeCloseTo(1, 4);
    expect(total(citizen)).toBeCloseTo(1, 4);
    expect(total(await counts('municipality', 'aabenraa')) - total(before.m)).toBeCloseTo(1, 4);
    expect(total(await counts('global', '')) - total(before.g)).toBeCloseTo(1, 4);
    // The same decision again: a conflict, nothing learned twice.
    expect((await resolveAlarm(te.rt.db, a.id, 'op-both', { outcome: 'phone_resolvable' })).outcome).toBe('conflict');
    // And the learning step delivered again for the same incident (a retried transaction's work).
    await te.rt.db.transaction().execute((trx) => learnFromDecision(trx, [a], 'dispatch'));
    expect(await counts('citizen', 'c-aabenraa-0')).toEqual(citizen);
    // A technical event's decision teaches nothing.
    const tech = (await storeAlarms(te.rt.db, [alarm('aabenraa', 2, 'low_battery')])).results[0]!.alarmId;
    await resolveAlarm(te.rt.db, tech, 'op-both', { outcome: 'false_alarm' });
    expect(await evidence('citizen', 'c-aabenraa-2')).toBeUndefined();
  });

  it('moves the evidence with a correction, and the citizen’s latest visit with it', async () => {
    const a = await decided('toender', 1, 'dispatch');
    expect(await counts('citizen', 'c-toender-1')).toMatchObject({ dispatch: expect.closeTo(1, 4) });
    expect((await evidence('citizen', 'c-toender-1'))!.last_visit_at).not.toBeNull();
    expect(
      (await correctOutcome(te.rt.db, a.id, 'sup-all', { outcome: 'false_alarm', note: 'lommetryk' })).outcome,
    ).toBe('changed');
    const after = await counts('citizen', 'c-toender-1');
    expect(after.dispatch).toBeCloseTo(0, 6);
    expect(after.false_alarm).toBeCloseTo(1, 4);
    expect((await evidence('citizen', 'c-toender-1'))!.last_visit_at).toBeNull();
    // The same correction again changes nothing.
    await correctOutcome(te.rt.db, a.id, 'sup-all', { outcome: 'false_alarm', note: 'igen' });
    expect(await counts('citizen', 'c-toender-1')).toEqual(after);
  });

  it('advises a citizen’s next press by their decisions, with the reason, the prior and the evidence on the view', async () => {
    // Citizen 4 of Aabenraa: every press needed a visit.
    for (let k = 0; k < 6; k++) await decided('aabenraa', 4, 'dispatch');
    const next = await press('aabenraa', 4);
    expect(next).toMatchObject({ triage_class: 'dispatch' });
    // Voice contact alone would be a call at priority 3: a visit, one step more urgent.
    expect(next.triage_priority).toBe(2);
    const view = alarmView.parse(toAlarmView(next));
    expect(view.triage!.reasonKeys!.map((k) => k.key)).toContain('learned_visit');
    expect(view.triage!.learning).toMatchObject({ predicted: 'dispatch', prior: 'municipality', applied: true });
    expect(view.triage!.learning!.evidence).toBeCloseTo(6, 3);
    expect(view.triage!.reasons).toHaveLength(view.triage!.reasonKeys!.length);
    // A fall of the same citizen with voice contact stays what the rules say (a visit unless speaking to
    // the citizen clears it): falls do not learn.
    const fall = (await storeAlarms(te.rt.db, [alarm('aabenraa', 4, 'fall', { voice: 'connected' })])).results[0]!
      .alarmId;
    await triageAlarm(te.rt, fall);
    expect(await row(fall)).toMatchObject({ triage_class: 'dispatch', triage_learning: null });
    expect((await row(fall)).triage_reason_keys).toEqual([{ key: 'fall_voice' }]);
  });

  it('never advises a press false for a citizen who needed a visit in the last 30 days', async () => {
    // Citizen 6 of Aabenraa presses by accident (forty presses: enough for the risk of a visit to fall
    // below VISIT_RISK_DISPATCH whatever the municipality's mix), but needed a visit once (a fall).
    for (let k = 0; k < 40; k++) await decided('aabenraa', 6, 'false_alarm');
    // By day a false alarm; at night a call (the night keeps an accidental presser's press open).
    const night = isNightHour(localHour(new Date()));
    expect((await press('aabenraa', 6)).triage_class).toBe(night ? 'phone_resolvable' : 'false_alarm');
    const fall = (await storeAlarms(te.rt.db, [alarm('aabenraa', 6, 'fall', { voice: 'no_answer' })])).results[0]!
      .alarmId;
    await resolveAlarm(te.rt.db, fall, 'op-both', { outcome: 'dispatch' });
    const next = await press('aabenraa', 6);
    // The fall joined the presses' incident, so its visit is also among what the citizen's decisions
    // taught: the risk of a visit is back above VISIT_RISK_DISPATCH, and the press is a dispatch. (The
    // floor on its own, with the risk small: test/triage/learning.test.ts.)
    expect(next.triage_class).toBe('dispatch');
    expect(next.triage_reason_keys!.map((k) => k.key)).toContain('visit_risk');
    expect((await evidence('citizen', 'c-aabenraa-6'))!.last_visit_at).not.toBeNull();
  });

  it('starts a newcomer from the municipality’s decisions, and keeps a visit possible', async () => {
    // Tønder's presses (citizens 11, 13, 15, 21) were settled by phone; citizen 17 has no history.
    for (const i of [11, 13, 15, 21]) for (let k = 0; k < 6; k++) await decided('toender', i, 'phone_resolvable');
    const next = await press('toender', 17);
    expect(next.triage_learning).toMatchObject({ prior: 'municipality', evidence: 0, predicted: 'phone_resolvable' });
    // Twenty-four decisions of a municipality do not rule out a visit for someone triage does not know:
    // the newcomer's risk is the municipality's, drawn towards the centre's (at least a few per cent).
    const risk = next.triage_learning!.probabilities.dispatch;
    expect(risk).toBeGreaterThanOrEqual(VISIT_RISK_DISPATCH);
    expect(next.triage_class).toBe('dispatch');
    expect(next.triage_reason_keys).toContainEqual({ key: 'visit_risk', params: { percent: Math.round(risk * 100) } });
    // Without voice contact the prediction of a call lowers nothing: the rules' dispatch stands.
    const silent = await press('toender', 23, { voice: 'unavailable' });
    expect(silent.triage_learning).toMatchObject({
      prior: 'municipality',
      predicted: 'phone_resolvable',
      applied: false,
    });
    expect(silent.triage_class).toBe('dispatch');
  });

  it('learns a dispenser’s and a sensor’s risk of a visit per municipality and type, never per citizen', async () => {
    // Tønder's doses not taken (citizens 41–119, odd: Tønder's, each their own incident): a type with no
    // record starts from the base mix, and a visit cannot be ruled out.
    const dose = async (i: number) => {
      const id = (await storeAlarms(te.rt.db, [alarm('toender', i, 'medication')])).results[0]!.alarmId;
      await triageAlarm(te.rt, id);
      return row(id);
    };
    const first = await dose(119);
    expect(first.triage_class).toBe('dispatch');
    expect(first.triage_reason_keys).toContainEqual({ key: 'type_visit_risk', params: { percent: 20 } });
    expect(first.triage_learning).toBeNull();
    // Thirty doses settled by phone: the municipality's row for its doses learns, the centre's too; no
    // citizen's counts and not the municipality's presses. (From the base mix, 22 decisions bring the
    // risk below VISIT_RISK_DISPATCH: 20 / (N + 10)².)
    const pressesBefore = await counts('municipality', 'toender');
    let last = first;
    for (let k = 0; k < 30; k++) {
      last = await dose(41 + 2 * k);
      expect((await resolveAlarm(te.rt.db, last.id, 'op-both', { outcome: 'phone_resolvable' })).outcome).toBe(
        'changed',
      );
    }
    expect(total(await counts('municipality', 'toender/medication'))).toBeCloseTo(30, 2);
    expect(total(await counts('global', '/medication'))).toBeCloseTo(30, 2);
    expect(await counts('municipality', 'toender')).toEqual(pressesBefore);
    expect(total(await counts('citizen', 'c-toender-41'))).toBe(0);
    // Now the risk is small: a dose is a call, with the municipality's record as the reason.
    const later = await dose(117);
    expect(later.triage_class).toBe('phone_resolvable');
    expect(later.triage_reason_keys!.map((k) => k.key)).toContain('type_visit_risk_low');
    // A supervisor's correction of one to a visit moves the type's rows with it.
    const m = await counts('municipality', 'toender/medication');
    expect(
      (await correctOutcome(te.rt.db, last.id, 'sup-all', { outcome: 'dispatch', note: 'ingen svar, besøg' })).outcome,
    ).toBe('changed');
    const after = await counts('municipality', 'toender/medication');
    expect(after.dispatch - m.dispatch).toBeCloseTo(1, 3);
    expect(m.phone_resolvable - after.phone_resolvable).toBeCloseTo(1, 3);
  });

  it('names the unit’s mains failure just before a press when it changed the advice', async () => {
    await storeAlarms(te.rt.db, [alarm('toender', 19, 'mains_failure')]);
    const a = await press('toender', 19, { voice: 'unavailable' });
    expect(a.triage_reason_keys).toContainEqual({ key: 'mains_failure_before', params: { minutes: 0 } });
    expect(a.triage_priority).toBe(1);
  });
});

describe('cancels, through the worker', () => {
  it('re-triages the press as false with the seconds after it, and never closes a fall', async () => {
    const worker = createTriageWorker(te.rt, { superviseEveryMs: 60_000 });
    const triaged = new Map<string, number>();
    const waiters: (() => void)[] = [];
    worker.events.on('alarm', (id, result) => {
      if (result === 'triaged') triaged.set(id, (triaged.get(id) ?? 0) + 1);
      waiters.splice(0).forEach((w) => w());
    });
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise<void>((r) => waiters.push(r));
    };
    try {
      const t0 = Date.now();
      const pressEvent = alarm('aabenraa', 30, 'pendant', {
        voice: 'connected',
        occurredAt: new Date(t0 - 12_000).toISOString(),
      });
      const fallEvent = alarm('aabenraa', 32, 'fall', { voice: 'connected', occurredAt: new Date(t0).toISOString() });
      const out = await acceptAlarms(te.rt, [pressEvent, fallEvent]);
      const [pressId, fallId] = out.results.map((r) => r.alarmId) as [string, string];
      await until(() => triaged.has(pressId) && triaged.has(fallId));
      // Voice contact, but a visit cannot be ruled out for a press nobody has cancelled (yet).
      expect((await row(pressId)).triage_class).toBe('dispatch');
      const cancels = await acceptAlarms(te.rt, [
        alarm('aabenraa', 30, 'cancel', { relatesTo: pressEvent.eventId, occurredAt: new Date(t0).toISOString() }),
        alarm('aabenraa', 32, 'cancel', { relatesTo: fallEvent.eventId, occurredAt: new Date(t0).toISOString() }),
      ]);
      await until(() => cancels.results.every((r) => triaged.has(r.alarmId)));
      const after = await row(pressId);
      expect(after).toMatchObject({ triage_class: 'false_alarm', status: 'triaged' });
      expect(after.triage_reason_keys).toContainEqual({ key: 'cancelled_after', params: { seconds: 12 } });
      expect(after.triage_reasons).toContain('cancelled by the citizen on the device after 12 s');
      // The console hears of it at once: the re-advice is a change on the feed.
      const changes = await te.rt.db
        .selectFrom('changes')
        .select('payload')
        .where('entity_id', '=', pressId)
        .orderBy('seq')
        .execute();
      expect((changes.at(-1)!.payload as { triage: { class: string } }).triage.class).toBe('false_alarm');
      // The fall stays what the rules made it: a cancel never closes it.
      expect((await row(fallId)).triage_class).toBe('dispatch');
    } finally {
      await worker.close();
    }
  });
});
