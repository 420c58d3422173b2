// A STAND-IN for triage learning, for the triage evaluation only (services/simulator/eval-triage.ts):
// Dirichlet counts of operators' decisions per citizen and alarm type, with decay. Not used by the worker.
// The learning engine proper is domain/triage-learning.ts; the evaluation's adapter is to point at it
// once it lands, and this file can then go. Pure: no I/O, no clock (time comes in).
//
// It only moves a `phone_resolvable` advice, never one a safety floor set (those are dispatch), and never
// for an unknown device (no citizen): up to dispatch when this citizen's calls of this type often needed a
// visit, down to false_alarm when an answered pendant press of theirs was nearly always a false alarm.
import type { EventType, TriageClass, VoiceState } from './events.js';
import type { Triage, TriageInput } from './triage.js';

/** Decayed counts of decisions for one citizen and alarm type. */
export type DecisionCounts = { false_alarm: number; phone_resolvable: number; dispatch: number; at: number };

/** The learned state: counts by `citizenId type`. Owned by the caller; `update` counts into it in place. */
export type StandInState = { counts: Map<string, DecisionCounts> };

export type StandInCall = { citizenId: string | null; input: TriageInput; rules: Triage; at: number };
export type StandInDecision = {
  citizenId: string | null;
  type: EventType;
  voice: VoiceState | null;
  outcome: TriageClass;
  at: number;
};

/** Older decisions count half after this long: a citizen's needs change over months. */
export const HALF_LIFE_DAYS = 90;
/** Dirichlet prior per class: weak, so a handful of decisions speaks. */
const PRIOR = 0.5;
/** Fewer decayed decisions than this: the rules alone. */
const MIN_EVIDENCE = 3;
/** Posterior share of visits that raises a phone call to dispatch. */
export const RAISE_AT = 0.3;
/** Posterior share of false alarms that lowers an answered press to false_alarm. */
export const LOWER_AT = 0.85;

const DAY_MS = 86_400_000;

export const initialStandInState = (): StandInState => ({ counts: new Map() });

const decayed = (c: DecisionCounts, at: number): DecisionCounts => {
  const f = at > c.at ? 0.5 ** ((at - c.at) / (HALF_LIFE_DAYS * DAY_MS)) : 1;
  return {
    false_alarm: c.false_alarm * f,
    phone_resolvable: c.phone_resolvable * f,
    dispatch: c.dispatch * f,
    at: Math.max(at, c.at),
  };
};

/** Count an operator's decision. */
export function updateStandIn(state: StandInState, d: StandInDecision): StandInState {
  if (d.citizenId === null) return state;
  const key = `${d.citizenId} ${d.type}`;
  const prev = state.counts.get(key);
  const c = prev ? decayed(prev, d.at) : { false_alarm: 0, phone_resolvable: 0, dispatch: 0, at: d.at };
  c[d.outcome] += 1;
  state.counts.set(key, c);
  return state;
}

/** The rules' advice, moved by what this citizen's past calls of this type turned out to need. */
export function predictStandIn(state: StandInState, call: StandInCall): Triage {
  const { rules, input } = call;
  if (call.citizenId === null || rules.class !== 'phone_resolvable') return rules;
  const prev = state.counts.get(`${call.citizenId} ${input.type}`);
  if (!prev) return rules;
  const c = decayed(prev, call.at);
  const n = c.false_alarm + c.phone_resolvable + c.dispatch;
  if (n < MIN_EVIDENCE) return rules;
  const share = (k: TriageClass) => (c[k] + PRIOR) / (n + 3 * PRIOR);
  const seen = `${Math.round(n)} recent calls`;
  if (share('dispatch') >= RAISE_AT) {
    return {
      ...rules,
      class: 'dispatch',
      priority: Math.min(rules.priority, 2) as Triage['priority'],
      reasons: [...rules.reasons, `learned: a visit for ${Math.round(share('dispatch') * 100)} % of ${seen}`],
    };
  }
  if (input.type === 'pendant' && input.voice === 'connected' && share('false_alarm') >= LOWER_AT) {
    return {
      ...rules,
      class: 'false_alarm',
      priority: 4,
      reasons: [...rules.reasons, `learned: a false alarm for ${Math.round(share('false_alarm') * 100)} % of ${seen}`],
    };
  }
  return rules;
}
