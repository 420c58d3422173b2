// What the centre has learned from operators' decisions: decayed counts of outcomes per citizen, per
// municipality and over the whole centre, and the class probabilities they predict. Pure: no I/O, no
// clock (every time comes in as epoch milliseconds).
//
// Stable interface (the triage evaluation calls it; keep these names and shapes working):
//
//   type Evidence = { counts: { false_alarm, phone_resolvable, dispatch }: number; updatedAt: number }
//   emptyEvidence(at?)                                   → Evidence with no counts
//   update(evidence | null, outcome, at, opts?)          → Evidence: one decision (outcome at `at`) added;
//                                                          opts.weight -1 takes one back (a correction)
//   predict({ citizen, municipality, global }, at, opts?) → Prediction: probabilities per class, the
//                                                          most likely class, the prior used, the
//                                                          citizen's evidence count and a confidence
//   decayTo(evidence, at, opts?)                         → the same evidence as seen at `at`
//
// The model. Each level holds Dirichlet counts per outcome class, decayed exponentially with a
// half-life of HALF_LIFE_DAYS (a decision 90 days old weighs half as much as today's). Decay is applied
// lazily: a row stores counts as of `updatedAt`, and is brought forward only when it is read or
// updated. A decision older than `updatedAt` (decisions arrive in any order) is added with the weight
// it has at `updatedAt`, so the result is the same whatever order decisions come in.
//
// Prediction is hierarchical, each level a Dirichlet posterior whose prior is the level above, with a
// fixed strength in pseudo-counts:
//   base      BASE_PRIOR (the domain primer's mix of pendant presses)
//   global    p_g = (n_g + S_G · base) / (N_g + S_G)
//   municipal p_m = (n_m + S_M · p_g)  / (N_m + S_M)
//   citizen   p_c = (n_c + S_C · p_m)  / (N_c + S_C)
// so a newcomer (N_c = 0) is predicted its municipality's mix, a municipality with no decisions the
// global mix, and ten decisions of one class outweigh any prior (10 / (10 + S_C) ≈ 0.77 of the mass).
// `prior` names the level the citizen's prediction starts from: the municipality when it has evidence,
// else the global counts when they have evidence, else the base mix.
//
// Confidence says how much evidence the prediction stands on, times how clear it is:
//   confidence = max(p_c) · E / (E + CONFIDENCE_HALF)   with E = N_c + S_C · N_m / (N_m + S_M)
// the citizen's own (decayed) decisions, plus at most S_C for a well-known municipality. No evidence at
// all gives 0; a newcomer in a well-known municipality half of max(p); ten recent decisions about 0.8.
import type { TriageClass } from './events.js';
import { TRIAGE_CLASSES } from './events.js';

export type ClassCounts = Record<TriageClass, number>;

/** Decayed counts of outcomes as of `updatedAt` (epoch ms). */
export type Evidence = { counts: ClassCounts; updatedAt: number };

/** The evidence a prediction draws on; a missing level counts as no evidence. */
export type EvidenceLevels = {
  citizen?: Evidence | null | undefined;
  municipality?: Evidence | null | undefined;
  global?: Evidence | null | undefined;
};

export type PriorLevel = 'municipality' | 'global' | 'base';

export type Prediction = {
  /** Probability per class (sums to 1). */
  probabilities: ClassCounts;
  /** The most likely class (ties go to the more urgent). */
  predicted: TriageClass;
  /** The level the citizen's prediction starts from. */
  prior: PriorLevel;
  /** The probabilities of that prior (what a newcomer is predicted). */
  priorProbabilities: ClassCounts;
  /** The citizen's decayed count of decisions at `at`. */
  evidence: number;
  /** The prior level's decayed count of decisions at `at` (0 for the base mix). */
  priorEvidence: number;
  /** 0–1: how much evidence the prediction stands on, times how clear it is (see the top of the file). */
  confidence: number;
};

export type LearningOptions = {
  /** Half-life of a decision's weight, in days (default HALF_LIFE_DAYS). */
  halfLifeDays?: number;
};

/** A decision's weight halves every 90 days: a citizen's pattern of a season ago still counts, a year ago little. */
export const HALF_LIFE_DAYS = 90;

/**
 * What a press is before anything is known. ASSUMPTION built on the domain primer ("Outcomes of
 * pendant presses: about 6 % serious, about half care or practical (mostly phone-resolvable), the rest
 * accidental or cancelled"): serious presses and the care that needs a visit make dispatch about 0.2.
 */
export const BASE_PRIOR: ClassCounts = { false_alarm: 0.35, phone_resolvable: 0.45, dispatch: 0.2 };

/** Pseudo-counts each level's prior weighs (see the top of the file). */
export const PRIOR_STRENGTH = { global: 10, municipality: 10, citizen: 3 } as const;

/** The evidence at which confidence reaches half of the predicted class's probability. */
export const CONFIDENCE_HALF = 3;

const DAY_MS = 86_400_000;

const zero = (): ClassCounts => ({ false_alarm: 0, phone_resolvable: 0, dispatch: 0 });

export const emptyEvidence = (at = 0): Evidence => ({ counts: zero(), updatedAt: at });

const total = (c: ClassCounts): number => c.false_alarm + c.phone_resolvable + c.dispatch;

/** How much a weight shrinks over `ms` milliseconds. */
function decayFactor(ms: number, opts: LearningOptions | undefined): number {
  if (ms <= 0) return 1;
  return Math.pow(2, -ms / ((opts?.halfLifeDays ?? HALF_LIFE_DAYS) * DAY_MS));
}

/** The evidence as seen at `at`: counts decayed from `updatedAt` (unchanged when `at` is not later). */
export function decayTo(e: Evidence, at: number, opts?: LearningOptions): Evidence {
  if (at <= e.updatedAt) return e;
  const f = decayFactor(at - e.updatedAt, opts);
  return {
    counts: {
      false_alarm: e.counts.false_alarm * f,
      phone_resolvable: e.counts.phone_resolvable * f,
      dispatch: e.counts.dispatch * f,
    },
    updatedAt: at,
  };
}

/**
 * One decision learned: `outcome` at `at` (epoch ms) added to the evidence (null: none yet). A decision
 * older than the evidence's `updatedAt` is added with the weight it has by then. `weight` -1 takes a
 * decision back (a correction removes the old outcome at the same `at` and adds the new one); counts
 * never go below 0.
 */
export function update(
  e: Evidence | null | undefined,
  outcome: TriageClass,
  at: number,
  opts?: LearningOptions & { weight?: number },
): Evidence {
  const from = e ?? emptyEvidence(at);
  const now = decayTo(from, at, opts);
  const w = (opts?.weight ?? 1) * decayFactor(now.updatedAt - at, opts);
  const counts = { ...now.counts };
  counts[outcome] = Math.max(0, counts[outcome] + w);
  // Float residue of a decision taken back: below a millionth of a decision is none.
  if (counts[outcome] < 1e-9) counts[outcome] = 0;
  return { counts, updatedAt: now.updatedAt };
}

/** The Dirichlet posterior mean of `counts` with `prior` weighted `strength` pseudo-counts. */
function posterior(counts: ClassCounts, n: number, prior: ClassCounts, strength: number): ClassCounts {
  const d = n + strength;
  return {
    false_alarm: (counts.false_alarm + strength * prior.false_alarm) / d,
    phone_resolvable: (counts.phone_resolvable + strength * prior.phone_resolvable) / d,
    dispatch: (counts.dispatch + strength * prior.dispatch) / d,
  };
}

const seen = (e: Evidence | null | undefined, at: number, opts?: LearningOptions): Evidence =>
  e ? decayTo(e, at, opts) : emptyEvidence(at);

/** Ties go to the more urgent class. */
function mostLikely(p: ClassCounts): TriageClass {
  let best: TriageClass = 'dispatch';
  for (const c of [...TRIAGE_CLASSES].reverse()) if (p[c] > p[best]) best = c;
  return best;
}

/** Class probabilities for the citizen at `at`, falling back to the municipality, then the centre. */
export function predict(levels: EvidenceLevels, at: number, opts?: LearningOptions): Prediction {
  const g = seen(levels.global, at, opts);
  const m = seen(levels.municipality, at, opts);
  const c = seen(levels.citizen, at, opts);
  const [ng, nm, nc] = [total(g.counts), total(m.counts), total(c.counts)];
  const pg = posterior(g.counts, ng, BASE_PRIOR, PRIOR_STRENGTH.global);
  const pm = posterior(m.counts, nm, pg, PRIOR_STRENGTH.municipality);
  const pc = posterior(c.counts, nc, pm, PRIOR_STRENGTH.citizen);
  const prior: PriorLevel = nm > 0 ? 'municipality' : ng > 0 ? 'global' : 'base';
  const predicted = mostLikely(pc);
  const e = nc + (PRIOR_STRENGTH.citizen * nm) / (nm + PRIOR_STRENGTH.municipality);
  return {
    probabilities: pc,
    predicted,
    prior,
    priorProbabilities: nm > 0 ? pm : ng > 0 ? pg : { ...BASE_PRIOR },
    evidence: nc,
    priorEvidence: prior === 'municipality' ? nm : prior === 'global' ? ng : 0,
    confidence: pc[predicted] * (e / (e + CONFIDENCE_HALF)),
  };
}
