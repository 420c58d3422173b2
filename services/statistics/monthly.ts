// Monthly statistics (contract: "Monthly statistics (analysts)"): which municipalities a request may
// see, and their months side by side, each figure derived from the month's counts (domain/statistics.ts).
import type { MunicipalityRow } from '../../db/municipalities.js';
import { listMunicipalities } from '../../db/municipalities.js';
import { key, readMonthCounts, type CountsByMonth } from '../../db/statistics.js';
import { countPlannedWork } from '../../db/planned.js';
import { emptyPlannedMonth, type PlannedMonth } from '../../domain/planned.js';
import type { Db } from '../../db/connect.js';
import {
  effectAssumptions,
  emptyCounts,
  monthFigures,
  monthsFrom,
  TSA_ANSWER_TARGETS,
  type Month,
  type StatisticsSettings,
} from '../../domain/statistics.js';
import type { MonthlyStatistics, MonthRow } from '../../domain/statistics-views.js';
import { notFound } from '../../platform/errors.js';

export const settingsOf = (m: MunicipalityRow): StatisticsSettings => ({
  answerTargetSeconds: m.answer_target_seconds,
  visitMinutes: m.visit_minutes,
  visitCostDkk: m.visit_cost_dkk,
  nightVisitMinutes: m.night_visit_minutes,
  nightVisitCostDkk: m.night_visit_cost_dkk,
  falseAlarmTargetRate: m.false_alarm_target_rate,
});

export const TARGETS = {
  answeredWithin60s: TSA_ANSWER_TARGETS.within60s,
  answeredWithin180s: TSA_ANSWER_TARGETS.within180s,
};

/**
 * The municipalities a statistics request names, each of them registered and in `scope` (null: all);
 * 404 for the first that is not, worded as for one that does not exist. `requested` undefined or
 * `all`: every municipality in scope.
 */
export async function municipalitiesAsked(
  db: Db,
  scope: readonly string[] | null,
  requested: readonly string[] | 'all',
): Promise<MunicipalityRow[]> {
  if (requested === 'all') return listMunicipalities(db, scope);
  const visible = requested.filter((id) => scope === null || scope.includes(id));
  const rows = await listMunicipalities(db, visible);
  const missing = requested.find((id) => !rows.some((r) => r.id === id));
  if (missing !== undefined) throw notFound(`no such municipality: ${missing}`);
  // In the order asked for.
  return requested.map((id) => rows.find((r) => r.id === id)!);
}

/**
 * One municipality's months, from its counts; with its planned work when given (counted from the
 * occurrences, beside the rollups: db/planned.ts countPlannedWork).
 */
export function municipalityMonths(
  m: MunicipalityRow,
  months: readonly Month[],
  counts: CountsByMonth,
  planned?: Map<string, PlannedMonth>,
): MonthRow[] {
  const settings = settingsOf(m);
  return months.map((month) => {
    const row: MonthRow = monthFigures(month, counts.get(key(m.id, month)) ?? emptyCounts(), settings);
    return planned ? { ...row, plannedWork: planned.get(key(m.id, month)) ?? emptyPlannedMonth() } : row;
  });
}

/** The months `from`…`to` of the municipalities, side by side; the contract's shape when there is one. */
export async function monthlyStatistics(
  db: Db,
  municipalities: readonly MunicipalityRow[],
  from: Month,
  to: Month,
): Promise<MonthlyStatistics> {
  const months = monthsFrom(from, to);
  const { counts } = await readMonthCounts(
    db,
    municipalities.map((m) => m.id),
    from,
    to,
  );
  const planned = await countPlannedWork(
    db,
    municipalities.map((m) => m.id),
    from,
    to,
  );
  const side = municipalities.map((m) => ({
    id: m.id,
    name: m.name,
    code: m.code,
    settings: settingsOf(m),
    assumptions: effectAssumptions(settingsOf(m)),
    months: municipalityMonths(m, months, counts, planned),
  }));
  const one = side.length === 1 ? { municipality: side[0]!.id, months: side[0]!.months } : {};
  return { ...one, from, to, municipalities: side, targets: TARGETS };
}
