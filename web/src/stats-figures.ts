// What the statistics page derives from GET /v1/stats/monthly: the default range, sums over the range,
// the heat map's cells and the downloads' file names. Pure: no DOM, no Chart.js.
import { addMonths, monthOf, monthSpan, MONTH_PATTERN } from '../../domain/statistics.js';
import type { MonthRow } from '../../domain/statistics-views.js';

export { TSA_ANSWER_TARGETS } from '../../domain/statistics.js';

/** The last twelve months, the current one included, as Copenhagen counts them. */
export function defaultRange(now: Date | number = Date.now()): { from: string; to: string } {
  const to = monthOf(now);
  return { from: addMonths(to, -11), to };
}

/** The server's limit (services/console/routes/statistics.ts MAX_MONTHS). */
export const MAX_MONTHS = 240;

/** Why a range cannot be asked for, or null. */
export function rangeProblem(from: string, to: string): 'format' | 'order' | 'length' | null {
  if (!MONTH_PATTERN.test(from) || !MONTH_PATTERN.test(to)) return 'format';
  if (monthSpan(from, to) < 0) return 'order';
  if (monthSpan(from, to) >= MAX_MONTHS) return 'length';
  return null;
}

const OUTCOME_KEYS = ['false_alarm', 'phone_resolvable', 'dispatch', 'unresolved'] as const;
export type OutcomeKey = (typeof OUTCOME_KEYS)[number];
export const OUTCOMES: readonly OutcomeKey[] = OUTCOME_KEYS;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The range's sums (counts add up; rates are taken over the sums, never averaged). */
export function rangeTotals(months: readonly MonthRow[]) {
  const sum = (f: (m: MonthRow) => number) => months.reduce((n, m) => n + f(m), 0);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, sum((m) => m.outcomes[o])])) as Record<
    OutcomeKey,
    number
  >;
  const resolved = outcomes.false_alarm + outcomes.phone_resolvable + outcomes.dispatch;
  return {
    total: sum((m) => m.total),
    emergencyCalls: sum((m) => m.emergencyCalls),
    answered: sum((m) => m.answered),
    outcomes,
    falseAlarmRate: resolved > 0 ? Math.round((outcomes.false_alarm / resolved) * 10_000) / 10_000 : null,
    dispatches: sum((m) => m.dispatches),
    effect: {
      visitsAvoided: sum((m) => m.effect.visitsAvoided),
      visitStaffHours: round2(sum((m) => m.effect.visitStaffHours)),
      visitDkk: sum((m) => m.effect.visitDkk),
      nightChecksRemote: sum((m) => m.effect.nightChecksRemote),
      nightStaffHours: round2(sum((m) => m.effect.nightStaffHours)),
      nightDkk: sum((m) => m.effect.nightDkk),
      staffHours: round2(sum((m) => m.effect.staffHours)),
      dkk: sum((m) => m.effect.dkk),
    },
  };
}

/** Alarms by weekday (Monday first) and hour, added up over the range's months. */
export function weekdayHours(months: readonly MonthRow[]): number[][] {
  const cells = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  for (const m of months) m.byWeekdayHour.forEach((day, d) => day.forEach((n, h) => (cells[d]![h]! += n)));
  return cells;
}

/** A download's name: what it is, the municipalities' codes and the range (`statistics-550-580-2026-01-2026-12.csv`). */
export function fileName(what: string, codes: readonly string[], from: string, to: string, ext: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_');
  const who = [...codes].sort().map(safe).join('-');
  return `${[safe(what), who, from, to].filter(Boolean).join('-')}.${ext}`;
}
