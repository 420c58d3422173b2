// Frozen monthly reports: a month's counts, its planned work and the municipality's settings as they were
// when the month was frozen (migrations/0008_statistics.sql, 0016). Rows are only ever inserted, never
// updated.
import { sql } from 'kysely';
import type { PlannedMonth } from '../domain/planned.js';
import { addMonths, firstDay, type Month, type MonthCounts, type StatisticsSettings } from '../domain/statistics.js';
import type { Db, Trx } from './connect.js';

/** What a report keeps of its municipality besides the counts: its name then, and its settings then. */
export type FrozenSettings = StatisticsSettings & { name: string; code: string };

export type ReportRow = {
  municipality: string;
  month: Month;
  frozenAt: Date;
  counts: MonthCounts;
  settings: FrozenSettings;
  /** The month's planned calls and night checks when it was frozen; null for reports frozen before 0016. */
  plannedWork: PlannedMonth | null;
};

/**
 * Ended, settled months without a report, for every municipality: from the month it was registered (at
 * most `catchUp` months back) to the month before `settled`. Oldest first.
 */
export async function reportsDue(
  db: Db | Trx,
  settled: Month,
  catchUp: number,
): Promise<{ municipality: string; month: Month }[]> {
  const r = await sql<{ municipality: string; month: string }>`
    SELECT m.id AS municipality, to_char(g.month, 'YYYY-MM') AS month
    FROM municipalities m,
         generate_series(greatest(stats_month(m.created_at), ${firstDay(addMonths(settled, -catchUp))}::date)::timestamp,
                         (${firstDay(settled)}::date - 1)::timestamp, interval '1 month') AS g(month)
    WHERE NOT EXISTS (SELECT 1 FROM stats_reports r WHERE r.municipality_id = m.id AND r.month = g.month::date)
    ORDER BY g.month, m.id`.execute(db);
  return r.rows;
}

/** Store reports; one already frozen (by another worker) is left as it is. The number stored. */
export async function insertReports(
  trx: Trx,
  reports: readonly (Omit<ReportRow, 'frozenAt' | 'plannedWork'> & { plannedWork: PlannedMonth })[],
): Promise<number> {
  if (reports.length === 0) return 0;
  const r = await sql`
    INSERT INTO stats_reports (municipality_id, month, counts, settings, planned_work)
    SELECT * FROM unnest(${reports.map((x) => x.municipality)}::text[], ${reports.map((x) => firstDay(x.month))}::date[],
                         ${reports.map((x) => JSON.stringify(x.counts))}::jsonb[], ${reports.map((x) => JSON.stringify(x.settings))}::jsonb[],
                         ${reports.map((x) => JSON.stringify(x.plannedWork))}::jsonb[])
    ON CONFLICT (municipality_id, month) DO NOTHING`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}

/** The reports of the municipalities for months `from`…`to`, by month, then municipality as given. */
export async function listReports(
  db: Db | Trx,
  municipalities: readonly string[],
  from: Month,
  to: Month,
): Promise<ReportRow[]> {
  if (municipalities.length === 0) return [];
  const r = await sql<{
    m: string;
    month: string;
    frozen_at: Date;
    counts: MonthCounts;
    settings: FrozenSettings;
    planned_work: PlannedMonth | null;
  }>`
    SELECT municipality_id AS m, to_char(month, 'YYYY-MM') AS month, frozen_at, counts, settings, planned_work
    FROM stats_reports
    WHERE municipality_id = ANY(${[...municipalities]}::text[])
      AND month BETWEEN ${firstDay(from)}::date AND ${firstDay(to)}::date
    ORDER BY month, array_position(${[...municipalities]}::text[], municipality_id)`.execute(db);
  return r.rows.map((x) => ({
    municipality: x.m,
    month: x.month,
    frozenAt: x.frozen_at,
    counts: x.counts,
    settings: x.settings,
    plannedWork: x.planned_work,
  }));
}
