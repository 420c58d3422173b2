// What triage learns from operators' decisions: it converges on a citizen's pattern, forgets with
// time, falls back to the municipality and the centre for a newcomer, counts a decision once whatever
// the order, and never gets below a safety floor, whatever it has learned.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, TRIAGE_CLASSES, VOICE_STATES, type TriageClass } from '../../domain/events.js';
import {
  classify,
  RECENT_VISIT_DAYS,
  SELF_CLOSABLE_TYPES,
  VISIT_RISK_DISPATCH,
  type TriageInput,
} from '../../domain/triage.js';
import {
  decayTo,
  emptyEvidence,
  HALF_LIFE_DAYS,
  predict,
  update,
  type Evidence,
} from '../../domain/triage-learning.js';
import { REASON_KEYS, REASON_TEXT, reasonText } from '../../domain/triage-reasons.js';

const DAY = 86_400_000;
const t0 = Date.parse('2026-06-01T10:00:00Z');
const RANK: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 1, dispatch: 2 };

const learnAll = (decisions: [TriageClass, number][], from: Evidence | null = null) =>
  decisions.reduce<Evidence | null>((e, [c, at]) => update(e, c, at), from);

const arbClass = fc.constantFrom(...TRIAGE_CLASSES);
const arbCounts = fc.record({
  false_alarm: fc.double({ min: 0, max: 5000, noNaN: true }),
  phone_resolvable: fc.double({ min: 0, max: 5000, noNaN: true }),
  dispatch: fc.double({ min: 0, max: 5000, noNaN: true }),
});
const arbEvidence: fc.Arbitrary<Evidence | null> = fc.option(
  fc.record({ counts: arbCounts, updatedAt: fc.integer({ min: t0 - 800 * DAY, max: t0 + 10 * DAY }) }),
);
const arbDate = (min: number, max: number) => fc.integer({ min, max }).map((ms) => new Date(ms));

const arbInput: fc.Arbitrary<TriageInput> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    voice: fc.constantFrom(...VOICE_STATES, null),
    unknownDevice: fc.boolean(),
    batteryPercent: fc.option(fc.integer({ min: 0, max: 100 })),
    lateMs: fc.integer({ min: 0, max: 3 * 3_600_000 }),
    localHour: fc.integer({ min: 0, max: 23 }),
    earlierInIncident: fc.nat(12),
    attempt: fc.option(fc.integer({ min: 1, max: 4 })),
    cancelled: fc.boolean(),
    cancelledAfterSeconds: fc.option(fc.integer({ min: 0, max: 3600 })),
    evidence: fc.option(fc.record({ citizen: arbEvidence, municipality: arbEvidence, global: arbEvidence })),
    lastVisitAt: fc.option(arbDate(t0 - 90 * DAY, t0)),
    settings: fc.option(
      fc.record({
        incidentWindowMinutes: fc.integer({ min: 1, max: 240 }),
        cancelWindowSeconds: fc.integer({ min: 0, max: 3600 }),
        // Any types at all, presses included: what the registry refuses must not matter here either.
        selfClosingTypes: fc.subarray([...EVENT_TYPES]),
      }),
    ),
    recentTechnical: fc.option(
      fc.record({
        lowBatteryAt: fc.option(arbDate(t0 - 3 * 3_600_000, t0)),
        mainsFailureAt: fc.option(arbDate(t0 - 3 * 3_600_000, t0)),
      }),
    ),
  })
  .map(({ lateMs, ...x }) => ({
    ...x,
    receivedAt: new Date(t0),
    occurredAt: new Date(t0 - lateMs),
  }));

describe('triage safety floors hold whatever has been learned', () => {
  it('for any evidence, context and incident', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const out = classify(input);
        const { type, voice } = input;
        if (type === 'smoke') expect(out).toMatchObject({ class: 'dispatch', priority: 1 });
        if ((type === 'fall' || type === 'epilepsy') && voice !== 'connected') expect(out.class).toBe('dispatch');
        if (type === 'fall' || type === 'smoke' || type === 'epilepsy') expect(out.class).not.toBe('false_alarm');
        if (type === 'pendant' && voice === 'no_answer') expect(out.class).toBe('dispatch');
        if (input.unknownDevice) expect(out.class).not.toBe('false_alarm');
        if (type === 'heartbeat_missed') expect(out.class).not.toBe('false_alarm');
        const press = ![
          'cancel',
          'test',
          'low_battery',
          'mains_failure',
          'mains_restored',
          'tamper',
          'heartbeat_missed',
        ].includes(type);
        if (press && input.earlierInIncident >= 2) {
          expect(out.class).not.toBe('false_alarm');
          const single = classify({ ...input, earlierInIncident: 0 });
          expect(out.priority).toBeLessThanOrEqual(Math.max(1, single.priority - 1));
        }
        if (press && input.lastVisitAt && t0 - input.lastVisitAt.getTime() <= RECENT_VISIT_DAYS * DAY)
          expect(out.class).not.toBe('false_alarm');
        // Only a test or technical event the settings list closes itself, and only as a false alarm.
        if (out.closesItself) {
          expect(SELF_CLOSABLE_TYPES).toContain(type);
          expect(input.settings?.selfClosingTypes ?? ['test', 'mains_restored']).toContain(type);
          expect(out.class).toBe('false_alarm');
        }
        // Well-formed, and every reason in words is its key's English text.
        expect([1, 2, 3, 4, 5]).toContain(out.priority);
        expect(out.confidence).toBeGreaterThanOrEqual(0);
        expect(out.confidence).toBeLessThanOrEqual(1);
        expect(out.reasons.length).toBeGreaterThan(0);
        expect(out.reasons).toEqual(out.reasonKeys.map((k) => reasonText(k)));
      }),
      { numRuns: 3000 },
    );
  });

  it('never lowers a fall, smoke or seizure alarm below what the rules alone advise', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        if (!['fall', 'smoke', 'epilepsy'].includes(input.type)) return;
        const learned = classify(input);
        const rules = classify({ ...input, evidence: null });
        expect(RANK[learned.class]).toBeGreaterThanOrEqual(RANK[rules.class]);
        expect(learned.priority).toBeLessThanOrEqual(rules.priority);
      }),
    );
  });
});

describe('municipality settings', () => {
  const cancelled = (after: number, cancelWindowSeconds?: number): TriageInput => ({
    type: 'pendant',
    voice: 'connected',
    unknownDevice: false,
    batteryPercent: null,
    occurredAt: new Date(t0),
    receivedAt: new Date(t0),
    localHour: 10,
    earlierInIncident: 0,
    cancelled: true,
    cancelledAfterSeconds: after,
    settings: cancelWindowSeconds === undefined ? null : { cancelWindowSeconds },
  });

  it('settles a press cancelled within the window as false, and leaves a later cancel for a call', () => {
    expect(classify(cancelled(12))).toMatchObject({
      class: 'false_alarm',
      reasons: ['cancelled by the citizen on the device after 12 s'],
    });
    expect(classify(cancelled(400))).toMatchObject({ class: 'phone_resolvable' });
    expect(classify(cancelled(400)).reasonKeys).toEqual([
      { key: 'cancelled_late', params: { seconds: 400, window: 300 } },
    ]);
    expect(classify(cancelled(400, 600)).class).toBe('false_alarm');
    expect(classify(cancelled(30, 10)).class).toBe('phone_resolvable');
  });

  it('closes only the types a municipality lists, tests and restores by default', () => {
    const of = (type: TriageInput['type'], selfClosingTypes?: TriageInput['type'][]) =>
      classify({ ...cancelled(0), type, cancelled: false, settings: selfClosingTypes ? { selfClosingTypes } : null });
    expect(of('test').closesItself).toBe(true);
    expect(of('mains_restored').closesItself).toBe(true);
    expect(of('low_battery').closesItself).toBe(false);
    expect(of('low_battery', ['low_battery']).closesItself).toBe(true);
    expect(of('test', []).closesItself).toBe(false);
    expect(of('pendant', ['pendant']).closesItself).toBe(false);
    expect(of('heartbeat_missed', ['heartbeat_missed']).closesItself).toBe(false);
  });
});

describe('learning from decisions', () => {
  const press = (evidence: TriageInput['evidence'], at = t0): TriageInput => ({
    type: 'pendant',
    voice: null,
    unknownDevice: false,
    batteryPercent: 80,
    occurredAt: new Date(at),
    receivedAt: new Date(at),
    localHour: 10,
    earlierInIncident: 0,
    cancelled: false,
    evidence,
  });

  it('converges on a citizen’s pattern within ten decisions, whatever the municipality taught', () => {
    fc.assert(
      fc.property(arbEvidence, arbEvidence, arbClass, (municipality, global, pattern) => {
        let citizen: Evidence | null = null;
        for (let i = 0; i < 10; i++) citizen = update(citizen, pattern, t0 - (10 - i) * DAY);
        const p = predict({ citizen, municipality, global }, t0);
        expect(p.predicted).toBe(pattern);
        expect(p.probabilities[pattern]).toBeGreaterThan(0.7);
        expect(p.evidence).toBeGreaterThan(9);
        const out = classify(press({ citizen, municipality, global }));
        expect(out.learning).toMatchObject({ predicted: pattern, applied: expect.any(Boolean) });
        // By day, with no trouble: a pattern of visits is advised dispatch with raised priority; a pattern
        // of calls or accidents is advised so only while the risk of a visit stays small, else dispatch
        // with that risk as the reason.
        const risky = p.probabilities.dispatch >= VISIT_RISK_DISPATCH;
        expect(out.class).toBe(risky ? 'dispatch' : pattern);
        if (pattern === 'dispatch') expect(out.priority).toBe(1);
        else expect(out.reasonKeys.map((k) => k.key)).toContain(risky ? 'visit_risk' : 'visit_risk_low');
      }),
    );
  });

  it('advises by the citizen’s own decisions: phone, a visit with raised priority, or false', () => {
    // Thirty recent decisions of one kind (a frequent caller's month) bring the risk of a visit below
    // VISIT_RISK_DISPATCH even from the base mix's 20 %.
    const ten = (c: TriageClass) => learnAll(Array.from({ length: 30 }, (_, i) => [c, t0 - (i % 10) * DAY]));
    const byPhone = classify(press({ citizen: ten('phone_resolvable') }));
    expect(byPhone).toMatchObject({ class: 'phone_resolvable', priority: 2 });
    const visits = classify(press({ citizen: ten('dispatch') }));
    expect(visits).toMatchObject({ class: 'dispatch', priority: 1 });
    expect(visits.reasonKeys.map((k) => k.key)).toContain('learned_visit');
    const accidental = classify(press({ citizen: ten('false_alarm') }));
    expect(accidental).toMatchObject({ class: 'false_alarm' });
    expect(accidental.reasons.join(' ')).toMatch(/mostly accidental/);
    // The same citizen at night, or just after the unit lost mains: a call, with the reason why.
    const night = classify({ ...press({ citizen: ten('false_alarm') }), localHour: 2 });
    expect(night.class).toBe('phone_resolvable');
    expect(night.reasonKeys.map((k) => k.key)).toContain('night_press');
    const mains = classify({
      ...press({ citizen: ten('false_alarm') }),
      recentTechnical: { lowBatteryAt: null, mainsFailureAt: new Date(t0 - 5 * 60_000) },
    });
    expect(mains.class).toBe('phone_resolvable');
    expect(mains.reasonKeys).toContainEqual({ key: 'mains_failure_before', params: { minutes: 5 } });
    // A recent visit keeps an accidental presser's press open (the floor), the reason says so.
    const visited = classify({ ...press({ citizen: ten('false_alarm') }), lastVisitAt: new Date(t0 - 3 * DAY) });
    expect(visited.class).toBe('phone_resolvable');
    expect(visited.reasonKeys.map((k) => k.key)).toContain('floor_recent_visit');
  });

  it('keeps a press a dispatch while a visit cannot be ruled out, whatever the most likely class', () => {
    // Ten calls settled by phone make phone the prediction, but from the base mix's 20 % the risk of a
    // visit is still 3 · 0.2 / 13 ≈ 4.6 %: dispatch, with the risk as its reason.
    const citizen = learnAll(Array.from({ length: 10 }, (_, i) => ['phone_resolvable', t0 - i * DAY]));
    const out = classify(press({ citizen }));
    expect(out.learning).toMatchObject({ predicted: 'phone_resolvable' });
    expect(out.class).toBe('dispatch');
    expect(out.reasonKeys).toContainEqual({ key: 'visit_risk', params: { percent: 5 } });
    // Without any evidence (the rules alone) the base mix's 20 % holds.
    const rules = classify({ ...press(null), voice: 'connected' });
    expect(rules.class).toBe('dispatch');
    expect(rules.reasonKeys).toContainEqual({ key: 'visit_risk', params: { percent: 20 } });
    // A cancelled press keeps its cancel, whatever the risk.
    expect(classify({ ...press(null), voice: 'connected', cancelled: true }).class).toBe('false_alarm');
  });

  it('forgets with decay: a weight halves every half-life, and an old pattern gives way to the prior', () => {
    const e = update(null, 'dispatch', t0);
    expect(decayTo(e, t0 + HALF_LIFE_DAYS * DAY).counts.dispatch).toBeCloseTo(0.5, 9);
    let citizen: Evidence | null = null;
    for (let i = 0; i < 10; i++) citizen = update(citizen, 'dispatch', t0 + i * DAY);
    const municipality = learnAll(Array.from({ length: 200 }, (_, i) => ['phone_resolvable', t0 + i * 3_600_000]));
    const later = t0 + 2 * 365 * DAY;
    const now = predict({ citizen, municipality }, t0 + 10 * DAY);
    const then = predict({ citizen, municipality }, later);
    expect(now.predicted).toBe('dispatch');
    expect(then.evidence).toBeLessThan(0.1);
    expect(then.predicted).toBe('phone_resolvable');
    // The forgotten visits no longer raise the press's priority (the risk alone decides its class).
    const forgotten = classify(press({ citizen, municipality }, later));
    expect(forgotten.reasonKeys.map((k) => k.key)).not.toContain('learned_visit');
    expect(forgotten.learning).toMatchObject({ predicted: 'phone_resolvable', applied: false });
  });

  it('starts a newcomer from the municipality’s prior, then the centre’s, with the evidence it stands on', () => {
    const municipality = learnAll(Array.from({ length: 50 }, (_, i) => ['dispatch', t0 - i * DAY]));
    const global = learnAll(Array.from({ length: 500 }, (_, i) => ['phone_resolvable', t0 - (i % 60) * DAY]));
    const inMunicipality = predict({ citizen: null, municipality, global }, t0);
    expect(inMunicipality).toMatchObject({ prior: 'municipality', predicted: 'dispatch', evidence: 0 });
    for (const c of TRIAGE_CLASSES)
      expect(inMunicipality.probabilities[c]).toBeCloseTo(inMunicipality.priorProbabilities[c], 12);
    expect(inMunicipality.confidence).toBeGreaterThan(0);
    const nowhere = predict({ citizen: null, municipality: null, global }, t0);
    expect(nowhere).toMatchObject({ prior: 'global', predicted: 'phone_resolvable', evidence: 0 });
    const nothing = predict({}, t0);
    expect(nothing).toMatchObject({ prior: 'base', evidence: 0, confidence: 0 });
    // The newcomer's advice names the municipality's pattern.
    const out = classify(press({ citizen: null, municipality, global }));
    expect(out.class).toBe('dispatch');
    expect(out.reasonKeys.map((k) => k.key)).toContain('prior_visit');
    expect(out.learning).toMatchObject({ prior: 'municipality', evidence: 0, applied: true });
    // More evidence, more confidence.
    const one = predict({ citizen: update(null, 'dispatch', t0), municipality, global }, t0);
    expect(one.confidence).toBeGreaterThan(inMunicipality.confidence);
  });

  it('counts the same decisions the same in any order, and a decision taken back leaves nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbClass, fc.integer({ min: t0 - 400 * DAY, max: t0 })), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        (decisions, seed) => {
          const shuffled = [...decisions].sort((a, b) => ((a[1] * 31 + seed) % 97) - ((b[1] * 31 + seed) % 97));
          const a = decayTo(learnAll(decisions)!, t0);
          const b = decayTo(learnAll(shuffled)!, t0);
          for (const c of TRIAGE_CLASSES) expect(a.counts[c]).toBeCloseTo(b.counts[c], 6);
          // A correction: the first decision's outcome taken back and another put in its place.
          const [c0, at0] = decisions[0]!;
          const other = TRIAGE_CLASSES.find((c) => c !== c0)!;
          const corrected = update(update(learnAll(decisions), c0, at0, { weight: -1 }), other, at0);
          const direct = decayTo(learnAll([[other, at0], ...decisions.slice(1)])!, corrected.updatedAt);
          for (const c of TRIAGE_CLASSES) expect(corrected.counts[c]).toBeCloseTo(direct.counts[c], 6);
        },
      ),
    );
  });

  it('never counts below zero', () => {
    const e = update(emptyEvidence(t0), 'dispatch', t0, { weight: -1 });
    expect(e.counts.dispatch).toBe(0);
  });
});

describe('reasons', () => {
  it('has every reason in Danish and English', () => {
    for (const key of REASON_KEYS) {
      expect(REASON_TEXT[key].en.length).toBeGreaterThan(0);
      expect(REASON_TEXT[key].da.length).toBeGreaterThan(0);
      expect(REASON_TEXT[key].da.match(/\{\{\w+\}\}/g)).toEqual(REASON_TEXT[key].en.match(/\{\{\w+\}\}/g));
    }
    expect(reasonText({ key: 'cancelled_after', params: { seconds: 12 } }, 'da')).toBe(
      'annulleret af borgeren på enheden efter 12 s',
    );
  });
});
