-- A frozen monthly report carries the month's planned calls and night checks as they stood when it was
-- frozen (domain/planned.ts PlannedMonth: due, on time, late, missed, open, dispatched per kind), beside
-- its counts. Null for the reports frozen before this column existed: they are shown without them.
ALTER TABLE stats_reports ADD COLUMN planned_work jsonb;
