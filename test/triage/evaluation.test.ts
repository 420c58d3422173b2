// The triage evaluation (npm run eval:triage) on a fixed seed: three months of Aabenraa replayed through
// the real classify, scored against each call's true outcome, with issue 9's targets asserted as floors.
//
// Rules plus learning, the product, reach the dispatch recall target. The rules alone do not: a dose not
// taken or a dementia sensor is a visit only now and then, and only the municipality's record (learned
// per type) shows how often; that is asserted as what it is. Safety costs workload: a press a call may
// not settle is advised dispatch (domain/triage.ts VISIT_RISK_DISPATCH), so of the nødkald alone far
// fewer are flagged false or phone than of all calls; the target is the share of all calls.
import { describe, expect, it } from 'vitest';
import type { TriageClass } from '../../domain/events.js';
import {
  DISPATCH_RECALL_TARGET,
  evaluateTriage,
  headlineTable,
  LEARNER,
  WORKLOAD_SHARE_TARGET,
  type Learner,
} from '../../services/simulator/eval-triage.js';
import { operatorDecision } from '../../services/simulator/operator.js';
import { RISK_TYPES } from '../../domain/triage.js';
import { seededRandom } from '../../services/simulator/random.js';

const SPAN = { seed: 2026, municipality: 'aabenraa', year: 2025, months: 3 } as const;
const evaluation = evaluateTriage(SPAN);
console.info(
  `triage evaluation, ${SPAN.municipality} ${SPAN.year}, ${SPAN.months} months:\n${headlineTable(evaluation)}`,
);

describe('triage evaluation on a fixed seed (three months of Aabenraa)', () => {
  it('scores every decided alarm of the span against its truth, nødkald among them', () => {
    const { all, noedkald } = evaluation;
    expect(evaluation.alarms).toBeGreaterThan(10_000);
    expect(all.rules.total).toBe(evaluation.alarms);
    expect(all.learning.total).toBe(evaluation.alarms);
    // About 68 nødkald a day over 90 days, plus the serious presses' repeats.
    expect(noedkald.rules.total).toBeGreaterThan(68 * 90 * 0.95);
    expect(noedkald.rules.total).toBeLessThan(68 * 90 * 1.15);
    expect(evaluation.truths.dispatch).toBeGreaterThan(500);
    // The operators err about 2 % of the time.
    expect(evaluation.operatorErrors / evaluation.decisions).toBeGreaterThan(0.01);
    expect(evaluation.operatorErrors / evaluation.decisions).toBeLessThan(0.03);
  });

  it('reaches a dispatch recall of at least 99.5 % with rules plus learning, of all alarms and of the nødkald', () => {
    expect(evaluation.all.learning.dispatchRecall).toBeGreaterThanOrEqual(DISPATCH_RECALL_TARGET);
    expect(evaluation.noedkald.learning.dispatchRecall).toBeGreaterThanOrEqual(DISPATCH_RECALL_TARGET);
  });

  it('misses with the rules alone only the doses and sensors whose risk the municipality’s record shows', () => {
    expect(evaluation.all.rules.dispatchRecall).toBeLessThan(DISPATCH_RECALL_TARGET);
    expect(evaluation.all.rules.dispatchRecall).toBeGreaterThan(0.95);
    const types = new Set(evaluation.all.rules.misses.map((m) => m.type));
    expect(types.size).toBeGreaterThan(0);
    for (const t of types) expect(RISK_TYPES.has(t), t).toBe(true);
  });

  it('never advises a true dispatch as a false alarm, with the rules alone or with learning', () => {
    expect(evaluation.all.rules.dispatchAsFalse).toBe(0);
    expect(evaluation.all.learning.dispatchAsFalse).toBe(0);
    // Every dispatch miss is listed with what triage saw and why it advised what it did.
    for (const s of [evaluation.all.rules, evaluation.all.learning]) {
      const listed = s.misses.reduce((n, m) => n + m.count, 0);
      expect(listed).toBe(s.perClass.dispatch.truths - s.confusion.dispatch.dispatch);
      for (const m of s.misses) expect(m.reasons.length).toBeGreaterThan(0);
    }
  });

  it('flags at least 40 % of all calls correctly as false alarm or phone, with and without learning', () => {
    expect(evaluation.all.rules.workloadShare).toBeGreaterThanOrEqual(WORKLOAD_SHARE_TARGET);
    expect(evaluation.all.learning.workloadShare).toBeGreaterThanOrEqual(WORKLOAD_SHARE_TARGET);
  });

  it('is the same for the same seed', () => {
    const month = { ...SPAN, months: 1 };
    expect(evaluateTriage(month)).toEqual(evaluateTriage(month));
  });

  it('takes any learner through the same plug: told every decision, asked at every advice', () => {
    let told = 0;
    let asked = 0;
    // Sends a visit whenever the rules would settle by phone: all recall, little precision.
    const eager: Learner<null> = {
      name: 'eager',
      initial: () => null,
      predict: (state, call) => {
        asked++;
        return call.rules.class === 'phone_resolvable' ? { ...call.rules, class: 'dispatch' } : call.rules;
      },
      update: (state) => {
        told++;
        return state;
      },
    };
    const e = evaluateTriage({ ...SPAN, months: 1 }, eager);
    expect(told).toBe(e.decisions);
    expect(asked).toBeGreaterThanOrEqual(e.alarms);
    // The rules' column does not depend on the learner.
    expect(e.all.rules).toEqual(evaluateTriage({ ...SPAN, months: 1 }, LEARNER).all.rules);
    expect(e.all.learning.dispatchRecall).toBeGreaterThan(e.all.rules.dispatchRecall);
    expect(e.all.learning.perClass.dispatch.precision).toBeLessThan(e.all.rules.perClass.dispatch.precision);
  });
});

describe('the simulated operator', () => {
  const decide = (truth: TriageClass, errorRate: number, farErrorShare = 0, n = 20_000) => {
    const rng = seededRandom(5);
    const out: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 0, dispatch: 0 };
    for (let i = 0; i < n; i++) out[operatorDecision(rng, truth, { errorRate, farErrorShare })]++;
    return out;
  };

  it('decides the truth, erring at the configured rate', () => {
    expect(decide('dispatch', 0).dispatch).toBe(20_000);
    const d = decide('phone_resolvable', 0.1);
    expect(d.phone_resolvable / 20_000).toBeGreaterThan(0.88);
    expect(d.phone_resolvable / 20_000).toBeLessThan(0.92);
  });

  it('never decides a true dispatch a false alarm unless far errors are asked for', () => {
    expect(decide('dispatch', 0.5).false_alarm).toBe(0);
    expect(decide('false_alarm', 0.5).dispatch).toBe(0);
    expect(decide('dispatch', 0.5, 0.5).false_alarm).toBeGreaterThan(4000);
  });
});
