// The simulated operator: decides a call from what it truly needed (citizens.ts), as an operator who has
// spoken to the citizen would, with a small rate of errors. Pure: the randomness comes in.
import type { TriageClass } from '../../domain/events.js';
import type { Random } from './random.js';

export type OperatorOptions = {
  /** Share of decisions that differ from the truth (0–1). Default DEFAULT_OPERATOR_ERROR_RATE. */
  errorRate?: number;
  /**
   * Share of the errors that skip a class: a true dispatch decided a false alarm, or a false alarm
   * dispatched (0–1). Default 0: an error is one step, so a true dispatch is never decided a false alarm
   * unless this says so.
   */
  farErrorShare?: number;
};

/** ASSUMPTION: an operator who has spoken to the citizen decides wrongly about one call in fifty. */
export const DEFAULT_OPERATOR_ERROR_RATE = 0.02;

const STEP: Record<TriageClass, readonly TriageClass[]> = {
  false_alarm: ['phone_resolvable'],
  phone_resolvable: ['false_alarm', 'dispatch'],
  dispatch: ['phone_resolvable'],
};
const FAR: Partial<Record<TriageClass, TriageClass>> = { false_alarm: 'dispatch', dispatch: 'false_alarm' };

/**
 * The decision on a call whose true outcome is `truth`. An error (probability `errorRate`) is one class
 * away: a true dispatch becomes phone_resolvable, a false alarm phone_resolvable, a phone call either of
 * the others; with probability `farErrorShare` an error on a dispatch or a false alarm skips to the other
 * end instead.
 */
export function operatorDecision(rng: Random, truth: TriageClass, opts: OperatorOptions = {}): TriageClass {
  const errorRate = opts.errorRate ?? DEFAULT_OPERATOR_ERROR_RATE;
  if (!rng.chance(errorRate)) return truth;
  const far = FAR[truth];
  if (far && rng.chance(opts.farErrorShare ?? 0)) return far;
  return rng.pick(STEP[truth]);
}

export function checkOperatorOptions(opts: OperatorOptions): void {
  for (const [name, v] of Object.entries(opts))
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1))
      throw new RangeError(`${name} must be a number from 0 to 1 (got ${String(v)})`);
}
