// The triage evaluation: a simulated span (a year by default) of one municipality's calls, each with its
// true outcome (citizens.ts), replayed in time order through the real triage (domain/triage.ts
// `classify`, with the inputs the worker gives it: repeats in the incident, cancels re-advising their
// press, local hour, unknown devices; history.ts does the replay) and, beside it, rules plus learning: a
// learner asked for its prediction whenever the rules advise and told of every operator's decision when
// it is made, as the worker's summaries would be. Each alarm's last advice before the operator decides is
// scored against what the call truly needed. Pure: no I/O and no clock.
import { EMERGENCY_TYPES, TRIAGE_CLASSES, type EventType, type TriageClass } from '../../domain/events.js';
import type { Triage, TriageInput } from '../../domain/triage.js';
import { classify, LEARNED_TYPES, RISK_TYPES, typeKey } from '../../domain/triage.js';
import { update, type Evidence } from '../../domain/triage-learning.js';
import type { TrueCause } from './citizens.js';
import { history, type HistoryAlarm } from './history.js';
import { MUNICIPALITIES, type Municipality } from './municipalities.js';
import { checkOperatorOptions, DEFAULT_OPERATOR_ERROR_RATE } from './operator.js';
import { historyFleet } from './population.js';

/** What a learner is asked: the call as the worker sees it, and the rules' advice. */
export type LearnCall = {
  citizenId: string | null;
  municipality: string;
  input: TriageInput;
  rules: Triage;
  at: number;
};
/** What a learner is told: an operator's decision on a call (an incident's first alarm). */
export type LearnDecision = {
  citizenId: string | null;
  municipality: string;
  type: EventType;
  voice: TriageInput['voice'];
  outcome: TriageClass;
  at: number;
};

/** Learning as the evaluation plugs it in: `(state, call) → prediction` and `(state, decision) → state`. */
export type Learner<S> = {
  name: string;
  initial(): S;
  predict(state: S, call: LearnCall): Triage;
  update(state: S, decision: LearnDecision): S;
};

/** What the worker's summary rows hold (db/triage-evidence.ts), kept in memory for the replay. */
export type LearnedState = {
  citizens: Map<string, Evidence>;
  /** Keyed as the rows are (db/triage-evidence.ts): the municipality's id, `<municipality>/<type>`, `/<type>`. */
  municipalities: Map<string, Evidence>;
  global: Evidence | null;
  /** The centre's rows of RISK_TYPES, by type. */
  globalByType: Map<string, Evidence>;
  /** When each citizen was last decided `dispatch` (the "a visit in the last 30 days" floor). */
  lastVisit: Map<string, number>;
};

/**
 * The learner the evaluation uses: the product's own (domain/triage-learning.ts through `classify`),
 * fed as the worker feeds it: a decision on a learned type updates the citizen's, the municipality's
 * and the centre's evidence, any dispatch decision the citizen's last visit; each call is classified
 * with that evidence, its last visit and the rules' own inputs.
 */
export const LEARNER: Learner<LearnedState> = {
  name: 'the triage engine with evidence per citizen, municipality and centre (domain/triage-learning.ts)',
  initial: () => ({
    citizens: new Map(),
    municipalities: new Map(),
    global: null,
    globalByType: new Map(),
    lastVisit: new Map(),
  }),
  predict: (state, call) => {
    const citizen = call.citizenId === null ? null : (state.citizens.get(call.citizenId) ?? null);
    const lastVisit = call.citizenId === null ? undefined : state.lastVisit.get(call.citizenId);
    const type = call.input.type;
    // As the worker's locking statement reads them (db/triage.ts): a risk type's own rows.
    const byType = RISK_TYPES.has(type);
    return classify({
      ...call.input,
      evidence: {
        citizen,
        municipality: state.municipalities.get(byType ? typeKey(type, call.municipality) : call.municipality) ?? null,
        global: byType ? (state.globalByType.get(type) ?? null) : state.global,
      },
      lastVisitAt: lastVisit === undefined ? null : new Date(lastVisit),
    });
  },
  update: (state, d) => {
    if (d.outcome === 'dispatch' && d.citizenId !== null) {
      const before = state.lastVisit.get(d.citizenId);
      if (before === undefined || before < d.at) state.lastVisit.set(d.citizenId, d.at);
    }
    if (RISK_TYPES.has(d.type)) {
      const key = typeKey(d.type, d.municipality);
      state.municipalities.set(key, update(state.municipalities.get(key) ?? null, d.outcome, d.at));
      state.globalByType.set(d.type, update(state.globalByType.get(d.type) ?? null, d.outcome, d.at));
      return state;
    }
    if (!LEARNED_TYPES.has(d.type)) return state;
    if (d.citizenId !== null)
      state.citizens.set(d.citizenId, update(state.citizens.get(d.citizenId) ?? null, d.outcome, d.at));
    state.municipalities.set(d.municipality, update(state.municipalities.get(d.municipality) ?? null, d.outcome, d.at));
    state.global = update(state.global, d.outcome, d.at);
    return state;
  },
};

export type EvaluationOptions = {
  seed: number;
  /** A municipality's id (one of the seven). */
  municipality: string;
  /** The calendar year simulated (from 1 January, Copenhagen time). */
  year: number;
  /** Months from the start of the year (1–12); default 12. */
  months?: number;
  /** Days from the start of the year instead (1–366), for a short span. */
  days?: number;
  /** The simulated operators' error rate (operator.ts); default 2 %. */
  errorRate?: number;
  /** Share of their errors that skip a class (operator.ts); default 0. */
  farErrorShare?: number;
};

/** A group of dispatch misses that look alike to triage. */
export type Miss = {
  type: EventType;
  voice: string;
  cause: TrueCause;
  advised: TriageClass;
  reasons: string;
  count: number;
};

export type Scores = {
  /** confusion[truth][advised]. */
  confusion: Record<TriageClass, Record<TriageClass, number>>;
  total: number;
  accuracy: number;
  perClass: Record<TriageClass, { precision: number; recall: number; truths: number; advised: number }>;
  dispatchRecall: number;
  /** True dispatches advised false_alarm (the misses that lower urgency most). */
  dispatchAsFalse: number;
  /** Share of all calls correctly advised false_alarm or phone_resolvable: the workload triage can save. */
  workloadShare: number;
  misses: Miss[];
};

export type Evaluation = {
  options: Required<EvaluationOptions>;
  municipality: Municipality;
  start: number;
  end: number;
  learner: string;
  /** Alarms scored (decided by the end), and their true outcomes. */
  alarms: number;
  truths: Record<TriageClass, number>;
  /** All alarms (technical and follow-ups included), and the nødkald alone (emergency types). */
  all: { rules: Scores; learning: Scores };
  noedkald: { rules: Scores; learning: Scores };
  /** Operators' decisions that differ from the truth. */
  operatorErrors: number;
  decisions: number;
};

/** Targets of issue 9. */
export const DISPATCH_RECALL_TARGET = 0.995;
export const WORKLOAD_SHARE_TARGET = 0.4;

const HOUR = 3_600_000;

/** Midnight of 1 January in Copenhagen (CET, UTC+1), and `months` later (Copenhagen midnight, near enough). */
export function yearSpan(year: number, months = 12): { start: number; end: number } {
  const start = Date.UTC(year, 0, 1) - HOUR;
  return { start, end: Date.UTC(year, months, 1) - (months >= 3 && months < 10 ? 2 : 1) * HOUR };
}

class Tally {
  readonly confusion = Object.fromEntries(
    TRIAGE_CLASSES.map((t) => [t, Object.fromEntries(TRIAGE_CLASSES.map((p) => [p, 0]))]),
  ) as Record<TriageClass, Record<TriageClass, number>>;
  private readonly misses = new Map<string, Miss>();

  add(alarm: HistoryAlarm, advice: Triage): void {
    const truth = alarm.truth.class;
    this.confusion[truth][advice.class]++;
    if (truth === 'dispatch' && advice.class !== 'dispatch') {
      const m: Omit<Miss, 'count'> = {
        type: alarm.type,
        voice: alarm.voice ?? '—',
        cause: alarm.truth.cause,
        advised: advice.class,
        // Late arrivals differ by the minute: grouped as one.
        reasons: advice.reasons.join('; ').replace(/arrived \d+ min late/g, 'arrived late'),
      };
      const key = JSON.stringify(m);
      const seen = this.misses.get(key);
      if (seen) seen.count++;
      else this.misses.set(key, { ...m, count: 1 });
    }
  }

  scores(): Scores {
    const c = this.confusion;
    const total = TRIAGE_CLASSES.reduce((s, t) => s + TRIAGE_CLASSES.reduce((x, p) => x + c[t][p], 0), 0);
    const truths = (t: TriageClass) => TRIAGE_CLASSES.reduce((s, p) => s + c[t][p], 0);
    const advised = (p: TriageClass) => TRIAGE_CLASSES.reduce((s, t) => s + c[t][p], 0);
    const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
    const perClass = Object.fromEntries(
      TRIAGE_CLASSES.map((k) => [
        k,
        {
          precision: ratio(c[k][k], advised(k)),
          recall: ratio(c[k][k], truths(k)),
          truths: truths(k),
          advised: advised(k),
        },
      ]),
    ) as Scores['perClass'];
    return {
      confusion: c,
      total,
      accuracy: ratio(
        TRIAGE_CLASSES.reduce((s, k) => s + c[k][k], 0),
        total,
      ),
      perClass,
      dispatchRecall: perClass.dispatch.recall,
      dispatchAsFalse: c.dispatch.false_alarm,
      workloadShare: ratio(c.false_alarm.false_alarm + c.phone_resolvable.phone_resolvable, total),
      misses: [...this.misses.values()].sort((a, b) => b.count - a.count),
    };
  }
}

export function evaluationOptions(opts: EvaluationOptions): Required<EvaluationOptions> {
  const o = {
    months: 12,
    days: 0,
    errorRate: DEFAULT_OPERATOR_ERROR_RATE,
    farErrorShare: 0,
    ...opts,
  };
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be a whole number (got ${o.seed})`);
  if (!MUNICIPALITIES.some((m) => m.id === o.municipality))
    throw new RangeError(
      `municipality must be one of ${MUNICIPALITIES.map((m) => m.id).join(', ')} (got ${o.municipality})`,
    );
  if (!Number.isInteger(o.year) || o.year < 2000 || o.year > 2100)
    throw new RangeError(`year must be a whole number 2000–2100 (got ${o.year})`);
  if (!Number.isInteger(o.months) || o.months < 1 || o.months > 12)
    throw new RangeError(`months must be a whole number 1–12 (got ${o.months})`);
  if (!Number.isInteger(o.days) || o.days < 0 || o.days > 366)
    throw new RangeError(`days must be a whole number 1–366 (got ${o.days})`);
  checkOperatorOptions({ errorRate: o.errorRate, farErrorShare: o.farErrorShare });
  return o;
}

/** Replay the span and score the rules, and the rules plus `learner`, against the truth. */
export function evaluateTriage<S = LearnedState>(
  options: EvaluationOptions,
  learner: Learner<S> = LEARNER as unknown as Learner<S>,
): Evaluation {
  const opts = evaluationOptions(options);
  const municipality = MUNICIPALITIES.find((m) => m.id === opts.municipality)!;
  const span = yearSpan(opts.year, opts.months);
  const { start } = span;
  const end = opts.days > 0 ? start + opts.days * 24 * HOUR : span.end;
  const tallies = {
    all: { rules: new Tally(), learning: new Tally() },
    noedkald: { rules: new Tally(), learning: new Tally() },
  };
  const truths: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 0, dispatch: 0 };
  const learned = new Map<HistoryAlarm, Triage>();
  let state = learner.initial();
  let alarms = 0;
  let operatorErrors = 0;
  let decisions = 0;
  const population = municipality.population;
  for (const _chunk of history({
    seed: opts.seed,
    start,
    end,
    fleet: historyFleet([municipality]),
    municipalities: [municipality],
    // As seed:history: the seven's storms and outages in proportion (history-load.ts).
    stormsPerDay: (0.15 * population) / 317_108,
    gatewayOutagesPerDay: 0.2 / 8,
    operator: { errorRate: opts.errorRate, farErrorShare: opts.farErrorShare },
    observer: {
      advised(alarm, input) {
        learned.set(
          alarm,
          learner.predict(state, {
            citizenId: alarm.citizenId,
            municipality: alarm.municipality,
            input,
            rules: alarm.triage,
            at: alarm.receivedAt,
          }),
        );
      },
      decided(decidedAlarms, outcome, at) {
        for (const a of decidedAlarms) {
          const learning = learned.get(a) ?? a.triage;
          learned.delete(a);
          alarms++;
          truths[a.truth.class]++;
          tallies.all.rules.add(a, a.triage);
          tallies.all.learning.add(a, learning);
          if (EMERGENCY_TYPES.has(a.type)) {
            tallies.noedkald.rules.add(a, a.triage);
            tallies.noedkald.learning.add(a, learning);
          }
        }
        const first = decidedAlarms[0]!;
        decisions++;
        if (outcome !== first.truth.class) operatorErrors++;
        state = learner.update(state, {
          citizenId: first.citizenId,
          municipality: first.municipality,
          type: first.type,
          voice: first.voice,
          outcome,
          at,
        });
      },
    },
  })) {
    // The observer has scored what each chunk holds.
  }
  return {
    options: opts,
    municipality,
    start,
    end,
    learner: learner.name,
    alarms,
    truths,
    all: { rules: tallies.all.rules.scores(), learning: tallies.all.learning.scores() },
    noedkald: { rules: tallies.noedkald.rules.scores(), learning: tallies.noedkald.learning.scores() },
    operatorErrors,
    decisions,
  };
}

const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '—');
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const SHORT: Record<TriageClass, string> = {
  false_alarm: 'false alarm',
  phone_resolvable: 'phone',
  dispatch: 'dispatch',
};

/** The headline figures, rules alone and with learning side by side (markdown). */
export function headlineTable(e: Evaluation): string {
  const lines = ['| figure | rules alone | rules + learning | target |', '| --- | --- | --- | --- |'];
  const row = (what: string, f: (s: Scores) => string, target = '') =>
    lines.push(`| ${what} | ${f(e.all.rules)} | ${f(e.all.learning)} | ${target} |`);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  row('accuracy, all alarms', (s) => pct(s.accuracy));
  row(
    'dispatch recall, all alarms',
    (s) => `${pct(s.dispatchRecall, 2)} (${met(s.dispatchRecall >= DISPATCH_RECALL_TARGET)})`,
    `≥ ${pct(DISPATCH_RECALL_TARGET)}`,
  );
  row('true dispatches advised false alarm', (s) => int(s.dispatchAsFalse));
  row(
    'correctly flagged false alarm or phone, share of all alarms',
    (s) => `${pct(s.workloadShare)} (${met(s.workloadShare >= WORKLOAD_SHARE_TARGET)})`,
    `≥ ${pct(WORKLOAD_SHARE_TARGET)}`,
  );
  lines.push(
    `| accuracy, nødkald only | ${pct(e.noedkald.rules.accuracy)} | ${pct(e.noedkald.learning.accuracy)} | |`,
    `| dispatch recall, nødkald only | ${pct(e.noedkald.rules.dispatchRecall, 2)} | ${pct(e.noedkald.learning.dispatchRecall, 2)} | |`,
    `| correctly flagged false alarm or phone, share of nødkald | ${pct(e.noedkald.rules.workloadShare)} | ${pct(e.noedkald.learning.workloadShare)} | |`,
  );
  return lines.join('\n');
}

function classTable(s: Scores, title: string): string {
  const lines = [
    `${title}`,
    '',
    '| true ↓ advised → | false alarm | phone | dispatch | recall |',
    '| --- | --- | --- | --- | --- |',
    ...TRIAGE_CLASSES.map(
      (t) =>
        `| ${SHORT[t]} | ${TRIAGE_CLASSES.map((p) => int(s.confusion[t][p])).join(' | ')} | ${pct(s.perClass[t].recall)} |`,
    ),
    `| precision | ${TRIAGE_CLASSES.map((p) => pct(s.perClass[p].precision)).join(' | ')} | accuracy ${pct(s.accuracy)} |`,
  ];
  return lines.join('\n');
}

function missTable(s: Scores, limit: number): string {
  if (s.misses.length === 0) return 'No dispatch missed.';
  const lines = [
    '| misses | type | voice | what truly happened | advised | reasons |',
    '| --- | --- | --- | --- | --- | --- |',
    ...s.misses
      .slice(0, limit)
      .map((m) => `| ${int(m.count)} | ${m.type} | ${m.voice} | ${m.cause} | ${SHORT[m.advised]} | ${m.reasons} |`),
  ];
  if (s.misses.length > limit) {
    const rest = s.misses.slice(limit).reduce((n, m) => n + m.count, 0);
    lines.push(`| ${int(rest)} | … ${s.misses.length - limit} more groups (\`--misses all\`) | | | | |`);
  }
  return lines.join('\n');
}

/** The whole report (markdown): what was simulated, the headline, the confusion matrices, every miss. */
export function formatEvaluation(e: Evaluation, missLimit = Infinity): string {
  const o = e.options;
  const day = (t: number) => new Date(t + HOUR).toISOString().slice(0, 10);
  return [
    `Simulated ${e.municipality.name}, ${day(e.start)} to ${day(e.end - 1)} (seed ${o.seed}, operator error rate ` +
      `${pct(o.errorRate)}${o.farErrorShare > 0 ? `, ${pct(o.farErrorShare)} of errors skip a class` : ''}): ` +
      `${int(e.alarms)} alarms decided, truly ${int(e.truths.false_alarm)} false alarms, ` +
      `${int(e.truths.phone_resolvable)} phone, ${int(e.truths.dispatch)} dispatch; ` +
      `${int(e.noedkald.rules.total)} nødkald. Operators decided ${int(e.decisions)} calls, ` +
      `${int(e.operatorErrors)} against the truth. Learning: ${e.learner}.`,
    '',
    headlineTable(e),
    '',
    classTable(e.all.rules, 'Rules alone, all alarms:'),
    '',
    classTable(e.all.learning, 'Rules plus learning, all alarms:'),
    '',
    `Dispatch misses, rules alone (${int(e.all.rules.perClass.dispatch.truths - e.all.rules.confusion.dispatch.dispatch)}), every one, grouped:`,
    '',
    missTable(e.all.rules, missLimit),
    '',
    `Dispatch misses, rules plus learning (${int(e.all.learning.perClass.dispatch.truths - e.all.learning.confusion.dispatch.dispatch)}):`,
    '',
    missTable(e.all.learning, missLimit),
  ].join('\n');
}

/** A few lines for the demo's banner. */
export function shortSummary(e: Evaluation): string[] {
  const r = e.all.rules;
  const l = e.all.learning;
  const day = (t: number) => new Date(t + HOUR).toISOString().slice(0, 10);
  return [
    `Triage on a simulated ${e.municipality.name}, ${day(e.start)} to ${day(e.end - 1)} (${int(e.alarms)} alarms, npm run eval:triage):`,
    `                          rules alone   rules + learning   target`,
    `  accuracy                ${pct(r.accuracy).padStart(11)}   ${pct(l.accuracy).padStart(16)}`,
    `  dispatch recall         ${pct(r.dispatchRecall, 2).padStart(11)}   ${pct(l.dispatchRecall, 2).padStart(16)}   ≥ ${pct(DISPATCH_RECALL_TARGET)}`,
    `  correctly false/phone   ${pct(r.workloadShare).padStart(11)}   ${pct(l.workloadShare).padStart(16)}   ≥ ${pct(WORKLOAD_SHARE_TARGET)}`,
  ];
}
