// The monthly report: on the first day of each month the previous month's figures of every
// municipality are frozen into a report row; later corrections show as the difference between the
// frozen figures and the live ones. Freezing is idempotent (one row per municipality and month, a second
// worker's insert does nothing) and catches up after downtime.
import type { Db } from '../../db/connect.js';
import type { MunicipalityRow } from '../../db/municipalities.js';
import { listMunicipalities } from '../../db/municipalities.js';
import { countPlannedWork } from '../../db/planned.js';
import { insertReports, listReports, reportsDue, type FrozenSettings, type ReportRow } from '../../db/reports.js';
import { key, readMonthCounts, readMonthCountsIn, settledBefore } from '../../db/statistics.js';
import { emptyPlannedMonth } from '../../domain/planned.js';
import {
  canonicalJson,
  effectAssumptions,
  emptyCounts,
  monthFigures,
  storedCounts,
  type Month,
} from '../../domain/statistics.js';
import type { MonthRow } from '../../domain/statistics-views.js';
import { settingsOf } from './monthly.js';

/** After downtime, months are frozen at most this far back (a municipality registered later starts later). */
export const REPORT_CATCH_UP_MONTHS = 12;

const frozenSettings = (m: MunicipalityRow): FrozenSettings => ({ name: m.name, code: m.code, ...settingsOf(m) });

/**
 * Freeze every report that is due: each municipality's ended and settled months without a report, from
 * its registration (at most REPORT_CATCH_UP_MONTHS back). The figures are read as the statistics are
 * (rollup, or the alarms), and the month's planned work from its occurrences (an item still open then is
 * frozen as open), in the same transaction and snapshot that stores them. Returns how many reports this
 * call stored.
 */
export async function freezeDueReports(db: Db): Promise<number> {
  const due = await reportsDue(db, await settledBefore(db), REPORT_CATCH_UP_MONTHS);
  if (due.length === 0) return 0;
  const municipalities = new Map((await listMunicipalities(db, null)).map((m) => [m.id, m]));
  const byMonth = new Map<Month, string[]>();
  for (const d of due) byMonth.set(d.month, [...(byMonth.get(d.month) ?? []), d.municipality]);
  let stored = 0;
  for (const [month, ids] of byMonth) {
    stored += await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const { counts } = await readMonthCountsIn(trx, ids, month, month);
        const planned = await countPlannedWork(trx, ids, month, month);
        return insertReports(
          trx,
          ids.map((id) => ({
            municipality: id,
            month,
            counts: counts.get(key(id, month)) ?? emptyCounts(),
            settings: frozenSettings(municipalities.get(id)!),
            plannedWork: planned.get(key(id, month)) ?? emptyPlannedMonth(),
          })),
        );
      });
  }
  return stored;
}

export type ReportView = {
  municipality: string;
  name: string;
  month: Month;
  frozenAt: string;
  settings: Omit<FrozenSettings, 'name' | 'code'>;
  figures: MonthRow;
  live: MonthRow;
  correctionsSinceFrozen: number;
  changed: boolean;
  assumptions: string[];
};

/**
 * What of a month row may be compared with counts stored at `version`: everything, but for version 1 the
 * answer times, which it measured over every counted alarm, planned calls and night checks included (a
 * report frozen then is not "changed" because the answer times are measured otherwise now).
 */
function comparableTo(version: number, row: MonthRow): Partial<MonthRow> {
  if (version >= 2) return row;
  const {
    answeredWithin60s: _60,
    answeredWithin180s: _180,
    answeredWithinTarget: _target,
    medianSecondsToAnswer: _median,
    p90SecondsToAnswer: _p90,
    ...rest
  } = row;
  return rest;
}

const withoutIdentity = ({ name: _n, code: _c, ...settings }: FrozenSettings) => settings;

/**
 * The frozen reports of the municipalities for months `from`…`to`, each beside the same month computed
 * now. `correctionsSinceFrozen` is the corrections recorded for the month's alarms now less those when
 * it was frozen; `changed` says whether any count differs, the planned work's included (an item open
 * when frozen and settled since). Both carry `plannedWork` as the live statistics do, the frozen one
 * unless the report was frozen before reports kept it.
 */
export async function readReports(
  db: Db,
  municipalities: readonly MunicipalityRow[],
  from: Month,
  to: Month,
): Promise<ReportView[]> {
  const ids = municipalities.map((m) => m.id);
  const reports: ReportRow[] = await listReports(db, ids, from, to);
  if (reports.length === 0) return [];
  const { counts } = await readMonthCounts(db, ids, from, to);
  const planned = await countPlannedWork(db, ids, from, to);
  const byId = new Map(municipalities.map((m) => [m.id, m]));
  return reports.map((r) => {
    const frozen = storedCounts(r.counts);
    const live = counts.get(key(r.municipality, r.month)) ?? emptyCounts();
    const livePlanned = planned.get(key(r.municipality, r.month)) ?? emptyPlannedMonth();
    const settings = withoutIdentity({ ...frozenSettings(byId.get(r.municipality)!), ...r.settings });
    const withPlanned = (row: MonthRow, p: MonthRow['plannedWork'] | null): MonthRow =>
      p ? { ...row, plannedWork: p } : row;
    const figures = withPlanned(monthFigures(r.month, frozen, settings), r.plannedWork);
    // Compared as frozen: a report frozen without planned work is compared without it, and one frozen
    // with counts of an older version without the figures that version measured otherwise.
    const now = withPlanned(monthFigures(r.month, live, settings), r.plannedWork && livePlanned);
    const comparable = (row: MonthRow) => comparableTo(r.counts.version ?? 1, row);
    return {
      municipality: r.municipality,
      name: r.settings.name,
      month: r.month,
      frozenAt: r.frozenAt.toISOString(),
      settings,
      figures,
      live: { ...monthFigures(r.month, live, settingsOf(byId.get(r.municipality)!)), plannedWork: livePlanned },
      correctionsSinceFrozen: Math.max(0, live.corrections - frozen.corrections),
      changed: canonicalJson(comparable(now)) !== canonicalJson(comparable(figures)),
      assumptions: effectAssumptions(settings),
    };
  });
}
