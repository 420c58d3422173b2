// Monthly statistics: what is counted, and how the figures follow from the counts. Pure: no I/O, no
// clock. The counts come from Postgres (db/statistics.ts, one query, or a stored monthly rollup of it);
// every figure on the wire is derived here, so the raw query and the rollup give the same answer.
//
// What a month's figures count (README, "Contract notes"): the alarms received in that calendar month in
// Copenhagen time, every type but technical events and tests (the contract excludes those from the answer
// times; excluding them everywhere keeps every figure of a row about the same alarms) and cancels. A
// cancel is a follow-up of the press it cancels, not a call of its own: it joins the press's incident and
// the press carries the decision, so counting it too would count one accidental press as two false alarms,
// and its "answer" at the moment the call was closed. Technical events are counted by kind, tests and
// cancels on their own.
import { EMERGENCY_TYPES, EVENT_TYPES, isTechnicalOrTest, TECHNICAL_TYPES, TRIAGE_CLASSES } from './events.js';
import type { EventType, TriageClass } from './events.js';

/** The types every figure of a month counts: all but technical events, tests and cancels. */
export const COUNTED_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => !isTechnicalOrTest(t) && t !== 'cancel');
/**
 * The alarms whose answer time is measured (answeredWithin60s, 180 s, the municipality's target, median,
 * p90): the counted alarms but planned calls and night checks. Those are the centre's own planned work,
 * raised at their due time (or a device's check-in, which settles one by itself): no citizen is waiting
 * on a line, and they are measured against their window instead (on time, late, missed: domain/planned.ts),
 * so counting them would pull the TSA's answer-time compliance for alarm calls up or down with the number
 * of schedules. They stay in every other figure (total, outcomes, types, answered, the effect).
 */
export const ANSWER_TIMED_TYPES: readonly EventType[] = COUNTED_TYPES.filter(
  (t) => t !== 'planned_call' && t !== 'night_check',
);
/** Technical events, counted by kind beside the figures. */
export const TECHNICAL_KINDS: readonly EventType[] = EVENT_TYPES.filter((t) => TECHNICAL_TYPES.has(t));
/** Nødkald: a person in possible danger (domain.md, "The call types"). */
export const EMERGENCY_CALL_TYPES: readonly EventType[] = EVENT_TYPES.filter((t) => EMERGENCY_TYPES.has(t));
/** Alarms settled this way would have meant a home-care visit without a response centre. */
export const SETTLED_WITHOUT_VISIT: readonly TriageClass[] = ['false_alarm', 'phone_resolvable'];

/** UK TSA code of practice: 97.5 % of alarm calls answered within 60 s, 99 % within 180 s (domain.md). */
export const TSA_ANSWER_TARGETS = { within60s: 0.975, within180s: 0.99 } as const;

/**
 * Repeat callers: citizens with more than 30 alarms in the month; 1 % of service recipients are
 * (Tellu helpdesk, "hyppig alarmbruk"; domain.md "The situation"). Counted, never named.
 */
export const REPEAT_CALLER_ALARMS = 30;

// ---- Months ----

/** A calendar month in Copenhagen time, `YYYY-MM`. */
export type Month = string;
export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** The first month statistics may be asked for: the pattern lets the year 0000 through, which Postgres has not. */
export const EARLIEST_MONTH: Month = '1900-01';

const parts = (m: Month): [number, number] => {
  const match = MONTH_PATTERN.exec(m);
  if (!match) throw new Error(`not a month (YYYY-MM): ${m}`);
  return [Number(match[1]), Number(match[2])];
};

const format = (year: number, month: number): Month =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;

export function addMonths(m: Month, n: number): Month {
  const [y, mo] = parts(m);
  const i = y * 12 + (mo - 1) + n;
  return format(Math.floor(i / 12), (i % 12) + 1);
}

/** Months from `a` to `b`, both included (b − a when b is later; negative when earlier). */
export function monthSpan(a: Month, b: Month): number {
  const [ya, ma] = parts(a);
  const [yb, mb] = parts(b);
  return yb * 12 + mb - (ya * 12 + ma);
}

/** Every month from `from` to `to`, both included, in order (none when `to` is before `from`). */
export function monthsFrom(from: Month, to: Month): Month[] {
  const n = monthSpan(from, to);
  return Array.from({ length: Math.max(0, n + 1) }, (_, i) => addMonths(from, i));
}

const monthFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar month of an instant in `timeZone` (the centre's, Copenhagen, by default). */
export function monthOf(at: Date | number, timeZone = 'Europe/Copenhagen'): Month {
  let f = monthFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', timeZone });
    monthFormats.set(timeZone, f);
  }
  const p = f.formatToParts(at);
  return format(Number(p.find((x) => x.type === 'year')!.value), Number(p.find((x) => x.type === 'month')!.value));
}

/** A month as the first day of it (`YYYY-MM-01`), as Postgres stores it in a date column. */
export const firstDay = (m: Month): string => `${m}-01`;

// ---- Counts: what is stored for a month, and merged from nothing else ----

/**
 * Increased whenever MonthCounts changes shape: rollups of another version are computed again. 2: the
 * answer times are over ANSWER_TIMED_TYPES (`answerable`), no longer over every counted alarm.
 */
export const COUNTS_VERSION = 2;

export type Outcome = TriageClass | 'unresolved';
export type TriageRow = TriageClass | 'untriaged';
export const TRIAGE_ROWS: readonly TriageRow[] = [...TRIAGE_CLASSES, 'untriaged'];

/** A histogram: [value, how many], ascending by value. */
export type Histogram = [number, number][];

/** A month's counts for one municipality, as stored (stats_months.counts, stats_reports.counts). */
export type MonthCounts = {
  version: number;
  /** Counted alarms (COUNTED_TYPES). */
  total: number;
  outcomes: Record<Outcome, number>;
  /** Every type received, technical events and tests included. */
  byType: Partial<Record<EventType, number>>;
  /** Counted alarms by local weekday (0 = Monday) and hour of receipt. */
  byWeekdayHour: number[][];
  /** Counted alarms claimed by an operator (at any time), planned work included. */
  answered: number;
  /** Alarms whose answer time is measured (ANSWER_TIMED_TYPES): the answer-time shares are over these. */
  answerable: number;
  /** Of those, seconds from receipt to claim of the claimed ones, rounded up, so "within 60 s" is exact. */
  answerSeconds: Histogram;
  /** Resolved alarms whose triage class equals the operator's outcome. */
  agreement: number;
  /** Resolved alarms by triage class (row) and outcome (column). */
  confusion: Record<TriageRow, Record<TriageClass, number>>;
  /** Dispatches requested for the month's alarms. */
  dispatches: number;
  /** Minutes from the dispatch's request to arrival, rounded up, for dispatches that arrived. */
  arrivalMinutes: Histogram;
  /** Citizens with more than REPEAT_CALLER_ALARMS counted alarms in the month. */
  repeatCallers: number;
  /** Incidents of nødkald settled as false or by phone: a home-care visit each, without a response centre. */
  visitsAvoided: number;
  /** Incidents of night checks settled as false or by phone: a night visit each, done remotely. */
  nightChecksRemote: number;
  /** Corrections recorded for the month's alarms (decisions changed after the fact). */
  corrections: number;
};

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export const OUTCOMES: readonly Outcome[] = [...TRIAGE_CLASSES, 'unresolved'];

export function emptyCounts(): MonthCounts {
  return {
    version: COUNTS_VERSION,
    total: 0,
    outcomes: zeros(OUTCOMES),
    byType: {},
    byWeekdayHour: Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0)),
    answered: 0,
    answerable: 0,
    answerSeconds: [],
    agreement: 0,
    confusion: Object.fromEntries(TRIAGE_ROWS.map((r) => [r, zeros(TRIAGE_CLASSES)])) as MonthCounts['confusion'],
    dispatches: 0,
    arrivalMinutes: [],
    repeatCallers: 0,
    visitsAvoided: 0,
    nightChecksRemote: 0,
    corrections: 0,
  };
}

/**
 * Stored counts as this version reads them. A frozen report keeps the counts of the version it was frozen
 * with; those of version 1 measured answer times over every counted alarm, so their `answerable` is their
 * `total` (the report shows what was frozen). Rollups of another version are not read but counted again.
 */
export function storedCounts(stored: Partial<MonthCounts>): MonthCounts {
  const c = { ...emptyCounts(), ...stored };
  if ((stored.version ?? 1) < 2 && stored.answerable === undefined) c.answerable = c.total;
  return c;
}

/** Two histograms as one: the counts of equal values added, ascending by value. */
export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  const out: Histogram = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x[0] < y[0])) {
      out.push([x![0], x![1]]);
      i++;
    } else if (x === undefined || y[0] < x[0]) {
      out.push([y[0], y[1]]);
      j++;
    } else {
      out.push([x[0], x[1] + y[1]]);
      i++;
      j++;
    }
  }
  return out;
}

/**
 * A month's counts from its month-to-date rollup (`before`: the alarms received up to a cut) and the
 * counts of the rest of its alarms (`after`: those received from the cut on). Every count is over alarms,
 * so it adds up, except two that `after` must have been counted for (db/statistics.ts does): its
 * `repeatCallers` are the citizens who cross the threshold only with the alarms after the cut, and its
 * `visitsAvoided` and `nightChecksRemote` leave out incidents already counted before the cut.
 */
export function addCounts(before: MonthCounts, after: MonthCounts): MonthCounts {
  const c = emptyCounts();
  c.total = before.total + after.total;
  for (const o of OUTCOMES) c.outcomes[o] = (before.outcomes[o] ?? 0) + (after.outcomes[o] ?? 0);
  for (const t of new Set([...Object.keys(before.byType), ...Object.keys(after.byType)]) as Set<EventType>)
    c.byType[t] = (before.byType[t] ?? 0) + (after.byType[t] ?? 0);
  c.byWeekdayHour = c.byWeekdayHour.map((day, d) =>
    day.map((_, h) => (before.byWeekdayHour[d]?.[h] ?? 0) + (after.byWeekdayHour[d]?.[h] ?? 0)),
  );
  c.answered = before.answered + after.answered;
  c.answerable = before.answerable + after.answerable;
  c.answerSeconds = mergeHistograms(before.answerSeconds, after.answerSeconds);
  c.agreement = before.agreement + after.agreement;
  for (const r of TRIAGE_ROWS)
    for (const o of TRIAGE_CLASSES)
      c.confusion[r][o] = (before.confusion[r]?.[o] ?? 0) + (after.confusion[r]?.[o] ?? 0);
  c.dispatches = before.dispatches + after.dispatches;
  c.arrivalMinutes = mergeHistograms(before.arrivalMinutes, after.arrivalMinutes);
  c.repeatCallers = before.repeatCallers + after.repeatCallers;
  c.visitsAvoided = before.visitsAvoided + after.visitsAvoided;
  c.nightChecksRemote = before.nightChecksRemote + after.nightChecksRemote;
  c.corrections = before.corrections + after.corrections;
  return c;
}

// ---- Figures ----

/** What a municipality has configured for its figures (registry; see migrations/0008_statistics.sql). */
export type StatisticsSettings = {
  answerTargetSeconds: number;
  visitMinutes: number;
  visitCostDkk: number;
  nightVisitMinutes: number;
  nightVisitCostDkk: number;
  falseAlarmTargetRate: number | null;
};

const sum = (h: Histogram) => h.reduce((n, [, c]) => n + c, 0);

/**
 * The p-quantile of a histogram by the nearest-rank method: the smallest value with at least ⌈p·n⌉
 * observations at or below it (Postgres `percentile_disc`). Null for an empty histogram.
 */
export function quantile(h: Histogram, p: number): number | null {
  const n = sum(h);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(p * n));
  let seen = 0;
  for (const [value, count] of h) {
    seen += count;
    if (seen >= rank) return value;
  }
  return h[h.length - 1]![0];
}

/** Observations at or below `limit`. */
const atMost = (h: Histogram, limit: number) => h.reduce((n, [v, c]) => (v <= limit ? n + c : n), 0);

/** A share, rounded to four decimals (0.01 %); null when there is nothing to share out. */
export const share = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;

const hours = (n: number, minutes: number) => Math.round(((n * minutes) / 60) * 100) / 100;

export type Effect = {
  visitsAvoided: number;
  visitStaffHours: number;
  visitDkk: number;
  nightChecksRemote: number;
  nightStaffHours: number;
  nightDkk: number;
  staffHours: number;
  dkk: number;
};

/** Visits avoided and night checks done remotely, in staff hours and DKK with the municipality's figures. */
export function effectOf(c: MonthCounts, s: StatisticsSettings): Effect {
  const visitStaffHours = hours(c.visitsAvoided, s.visitMinutes);
  const nightStaffHours = hours(c.nightChecksRemote, s.nightVisitMinutes);
  const visitDkk = c.visitsAvoided * s.visitCostDkk;
  const nightDkk = c.nightChecksRemote * s.nightVisitCostDkk;
  return {
    visitsAvoided: c.visitsAvoided,
    visitStaffHours,
    visitDkk,
    nightChecksRemote: c.nightChecksRemote,
    nightStaffHours,
    nightDkk,
    staffHours: Math.round((visitStaffHours + nightStaffHours) * 100) / 100,
    dkk: visitDkk + nightDkk,
  };
}

/** The assumptions behind the effect figures, as printed under them (CSV columns, the PDF, the page). */
export function effectAssumptions(s: StatisticsSettings): string[] {
  return [
    `Each nødkald (${EMERGENCY_CALL_TYPES.join(', ')}) settled as a false alarm or by phone would without a response centre have meant a home-care visit; repeated alarms of one incident count once.`,
    `A visit takes ${s.visitMinutes} minutes of staff time and costs DKK ${s.visitCostDkk} (the municipality's figures).`,
    `Each night check settled remotely (not dispatched) replaces a night-patrol visit of ${s.nightVisitMinutes} minutes costing DKK ${s.nightVisitCostDkk}.`,
    'The response centre’s own cost is not subtracted.',
  ];
}

/** One month's figures as the contract's month row and its additive fields (domain/statistics-views.ts). */
export function monthFigures(month: Month, c: MonthCounts, s: StatisticsSettings) {
  const resolved = c.outcomes.false_alarm + c.outcomes.phone_resolvable + c.outcomes.dispatch;
  const byType = Object.fromEntries(COUNTED_TYPES.map((t) => [t, c.byType[t] ?? 0])) as Record<EventType, number>;
  return {
    month,
    total: c.total,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, c.outcomes[o] ?? 0])) as Record<Outcome, number>,
    falseAlarmRate: share(c.outcomes.false_alarm, resolved),
    phoneResolvableRate: share(c.outcomes.phone_resolvable, resolved),
    dispatchRate: share(c.outcomes.dispatch, resolved),
    answeredWithin60s: share(atMost(c.answerSeconds, 60), c.answerable),
    medianSecondsToAnswer: quantile(c.answerSeconds, 0.5),
    byType,
    triageAgreement: share(c.agreement, resolved),
    emergencyCalls: EMERGENCY_CALL_TYPES.reduce((n, t) => n + (c.byType[t] ?? 0), 0),
    answered: c.answered,
    answeredWithin180s: share(atMost(c.answerSeconds, 180), c.answerable),
    answeredWithinTarget: share(atMost(c.answerSeconds, s.answerTargetSeconds), c.answerable),
    p90SecondsToAnswer: quantile(c.answerSeconds, 0.9),
    technical: Object.fromEntries(TECHNICAL_KINDS.map((t) => [t, c.byType[t] ?? 0])) as Record<EventType, number>,
    tests: c.byType.test ?? 0,
    cancels: c.byType.cancel ?? 0,
    byHour: Array.from({ length: 24 }, (_, h) => c.byWeekdayHour.reduce((n, day) => n + (day[h] ?? 0), 0)),
    byWeekdayHour: c.byWeekdayHour.map((day) => [...day]),
    confusion: Object.fromEntries(
      TRIAGE_ROWS.map((r) => [r, Object.fromEntries(TRIAGE_CLASSES.map((o) => [o, c.confusion[r]?.[o] ?? 0]))]),
    ) as MonthCounts['confusion'],
    dispatches: c.dispatches,
    arrivals: sum(c.arrivalMinutes),
    medianMinutesToArrival: quantile(c.arrivalMinutes, 0.5),
    repeatCallers: c.repeatCallers,
    corrections: c.corrections,
    effect: effectOf(c, s),
  };
}
export type MonthFigures = ReturnType<typeof monthFigures>;

/** JSON with every object's keys sorted: equal for equal values, whatever order the keys were stored in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
