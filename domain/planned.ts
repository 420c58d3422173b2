// Planned calls and night supervision: work the centre must do at agreed times. Pure: no I/O, no clock.
//
// A schedule names local times of day in Europe/Copenhagen, the days of the week and a window; its
// occurrences are instants. Two local times are not one instant each:
//  - spring forward (last Sunday of March, 02:00 → 03:00): a time in the gap (02:30) does not exist.
//    It is due at the instant the clock would show had it not jumped: 02:30 CET = 03:30 CEST, one hour
//    after 01:30. The work is never dropped for the missing hour.
//  - fall back (last Sunday of October, 03:00 → 02:00): a time in 02:00–02:59 happens twice. It is due
//    once, at the first (CEST): a night check at 02:30 is one look, not two.
// Both are the `compatible` reading of a wall-clock time (as in Temporal and RFC 5545).
// A window is elapsed minutes from the due time, so it may cross midnight (a 23:50 call with a 30-minute
// window ends at 00:20) and a DST change; the occurrence belongs to the local date of its due time,
// whose weekday the schedule's days are matched against.
import type { TriageClass } from './events.js';
import { CENTRE_TIME_ZONE } from './time.js';

export const CARE_KINDS = ['planned_call', 'night_check'] as const;
export type CareKind = (typeof CARE_KINDS)[number];

export const PLANNED_CALL_RESULTS = ['reached_well', 'reached_needs_help', 'not_reached'] as const;
export const NIGHT_CHECK_RESULTS = ['seen_calm', 'seen_needs_help', 'not_seen'] as const;
/** What an operator records on a due item, besides the three outcomes every alarm may take. */
export const CARE_RESULTS = [...PLANNED_CALL_RESULTS, ...NIGHT_CHECK_RESULTS] as const;
export type CareResult = (typeof CARE_RESULTS)[number];
/** Stored results: the operator's, and a device check-in that settled a planned call by itself. */
export const STORED_CARE_RESULTS = [...CARE_RESULTS, 'checked_in'] as const;
export type StoredCareResult = (typeof STORED_CARE_RESULTS)[number];

/** After "needs help": someone goes (a dispatch), or the centre follows up by phone. */
export const FOLLOW_UPS = ['dispatch', 'phone'] as const;
export type FollowUp = (typeof FOLLOW_UPS)[number];

export const isCareResult = (s: string): s is CareResult => (CARE_RESULTS as readonly string[]).includes(s);
export const isCareKind = (s: string): s is CareKind => (CARE_KINDS as readonly string[]).includes(s);

/** The results that fit an item of this type (none for other alarm types). */
export function resultsFor(type: string): readonly CareResult[] {
  if (type === 'planned_call') return PLANNED_CALL_RESULTS;
  if (type === 'night_check') return NIGHT_CHECK_RESULTS;
  return [];
}

const NOT_FOUND: ReadonlySet<CareResult> = new Set(['not_reached', 'not_seen']);
const NEEDS_HELP: ReadonlySet<CareResult> = new Set(['reached_needs_help', 'seen_needs_help']);
export const isNotFound = (r: CareResult): boolean => NOT_FOUND.has(r);

/** A municipality's retry settings (migrations/0015; the defaults are the column defaults). */
export type RetrySettings = {
  plannedCallRetryMinutes: number;
  plannedCallRetries: number;
  nightCheckRetryMinutes: number;
  nightCheckRetries: number;
};
/**
 * 15 minutes for night checks: the primer ("if the person is not seen, retry after about 15 minutes,
 * then the night patrol goes"). ASSUMPTION: 10 minutes for planned calls (the default), and one
 * retry of each before a dispatch.
 */
export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  plannedCallRetryMinutes: 10,
  plannedCallRetries: 1,
  nightCheckRetryMinutes: 15,
  nightCheckRetries: 1,
};

/** What follows an attempt's result. */
export type NextStep =
  | { step: 'done'; outcome: TriageClass; dispatch: boolean }
  | { step: 'retry'; outcome: TriageClass; afterMinutes: number }
  | { step: 'missed'; outcome: 'dispatch'; dispatch: true };

/**
 * The outcome class stored with a result (the alarm's `outcome` keeps its contract meaning: a dispatch
 * only when someone is sent; a call or look otherwise is work done by phone), and what comes next.
 * `attempt` is 1 for the first attempt; after `retries` retries a not-found result sends someone.
 */
export function nextStep(
  kind: CareKind,
  result: CareResult,
  attempt: number,
  s: RetrySettings,
  followUp?: FollowUp,
): NextStep {
  if (NEEDS_HELP.has(result)) {
    const dispatch = (followUp ?? 'dispatch') === 'dispatch';
    return { step: 'done', outcome: dispatch ? 'dispatch' : 'phone_resolvable', dispatch };
  }
  if (!NOT_FOUND.has(result)) return { step: 'done', outcome: 'phone_resolvable', dispatch: false };
  const retries = kind === 'planned_call' ? s.plannedCallRetries : s.nightCheckRetries;
  const afterMinutes = kind === 'planned_call' ? s.plannedCallRetryMinutes : s.nightCheckRetryMinutes;
  if (attempt <= retries) return { step: 'retry', outcome: 'phone_resolvable', afterMinutes };
  return { step: 'missed', outcome: 'dispatch', dispatch: true };
}

/**
 * The outcome of a result on a planned call or night check that no schedule raised (an event a gateway
 * sent): there is no retry to plan, so "needs help" follows its follow-up and anything else was a call.
 */
export function unscheduledOutcome(result: CareResult, followUp?: FollowUp): TriageClass {
  return NEEDS_HELP.has(result) && (followUp ?? 'dispatch') === 'dispatch' ? 'dispatch' : 'phone_resolvable';
}

/** The brief sent with a dispatch that follows the last unanswered attempt (no personal data). */
export function missedBrief(kind: CareKind, attempts: number): string {
  return kind === 'night_check'
    ? `Night patrol: not seen at ${attempts} night check${attempts === 1 ? '' : 's'}`
    : `Not reached at ${attempts} planned call${attempts === 1 ? '' : 's'}`;
}

// ---- Schedules and their occurrences ----

export type Schedule = {
  kind: CareKind;
  /** Local times of day, 'HH:MM'. */
  times: readonly string[];
  /** ISO weekdays, 1 Monday … 7 Sunday. */
  days: readonly number[];
  windowMinutes: number;
  /** Local dates 'YYYY-MM-DD', inclusive; activeTo null: no end. */
  activeFrom: string;
  activeTo: string | null;
};

export type Occurrence = { dueAt: Date; windowEndsAt: Date; localDate: string; localTime: string };

export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
export const LOCAL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Default windows. ASSUMPTION: 30 min for a planned call (the example), 15 for a night check. */
export const DEFAULT_WINDOW_MINUTES: Record<CareKind, number> = { planned_call: 30, night_check: 15 };

const DAY_MS = 86_400_000;
const parts = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `at`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(at: number, timeZone = CENTRE_TIME_ZONE): number {
  let f = parts.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    parts.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const wall = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour! % 24, +p.minute!, +p.second!);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/**
 * The instant a local wall-clock time names (the `compatible` reading, see the top of this file): in a
 * gap, the offset before the gap; when repeated, the earlier instant.
 */
export function localToInstant(date: string, time: string, timeZone = CENTRE_TIME_ZONE): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // At most one transition lies within a day of any instant in this zone.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  const valid = [wall - before, wall - after].filter((t) => zoneOffsetMs(t, timeZone) === wall - t);
  if (valid.length > 0) return new Date(Math.min(...valid));
  return new Date(wall - before);
}

/** The local date 'YYYY-MM-DD' at an instant. */
export function localDateOf(at: Date, timeZone = CENTRE_TIME_ZONE): string {
  return new Date(at.getTime() + zoneOffsetMs(at.getTime(), timeZone)).toISOString().slice(0, 10);
}

const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
/** ISO weekday of a local date, 1 Monday … 7 Sunday. */
export const isoWeekday = (date: string): number => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/** The schedule's occurrences whose due time is in [from, to), in time order. */
export function occurrencesBetween(s: Schedule, from: Date, to: Date, timeZone = CENTRE_TIME_ZONE): Occurrence[] {
  const out: Occurrence[] = [];
  const first = addDays(localDateOf(from, timeZone), -1);
  const last = addDays(localDateOf(to, timeZone), 1);
  const times = [...new Set(s.times)].sort();
  for (let date = first; date <= last; date = addDays(date, 1)) {
    if (date < s.activeFrom || (s.activeTo !== null && date > s.activeTo)) continue;
    if (!s.days.includes(isoWeekday(date))) continue;
    for (const time of times) {
      const dueAt = localToInstant(date, time, timeZone);
      if (dueAt < from || dueAt >= to) continue;
      out.push({
        dueAt,
        windowEndsAt: new Date(dueAt.getTime() + s.windowMinutes * 60_000),
        localDate: date,
        localTime: time,
      });
    }
  }
  // Two local times can name one instant (02:30 and 03:30 on the spring-forward night): one occurrence.
  const seen = new Set<number>();
  return out
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
    .filter((o) => !seen.has(o.dueAt.getTime()) && seen.add(o.dueAt.getTime()));
}

// ---- Statistics ----

/**
 * A month's planned calls or night checks (by the local month of their due time), each counted once, by
 * where it ended: `onTime`, settled with the centre's first action (the first attempt's claim, or a
 * device check-in) within the window; `late`, settled with the first action after it (it escalated);
 * `missed`, not reached or not seen after the last retry; `open`, due and not settled yet. `dispatched`
 * counts those that ended in a dispatch (needs help, or missed), among the others.
 */
export type PlannedCounts = {
  total: number;
  onTime: number;
  late: number;
  missed: number;
  open: number;
  dispatched: number;
};
export type PlannedMonth = Record<CareKind, PlannedCounts>;

export const emptyPlannedMonth = (): PlannedMonth => ({
  planned_call: { total: 0, onTime: 0, late: 0, missed: 0, open: 0, dispatched: 0 },
  night_check: { total: 0, onTime: 0, late: 0, missed: 0, open: 0, dispatched: 0 },
});
