-- Month-to-date rollups: the current month's counts up to the start of today (Copenhagen time), stored
-- once a day when the day has settled, so that a request counts only today's alarms on top of them.
--
-- Like the monthly rollups (0008), a month-to-date rollup is a cache of countMonths' own result (for the
-- alarms received from the month's start up to `until`, a local midnight), never the record, and it is
-- kept right the same way: it is written only once no transaction that began before `until` is still
-- running (an alarm's received_at is its transaction's start, so nothing can still be added before
-- `until`), and any later change to an alarm received before today marks its month stale (the trigger
-- of 0008, whose condition now reaches back to the start of today instead of the start of the month).
-- A stale month's month-to-date rollup is not used: the month is counted from its alarms until the
-- worker stores it again.
--
-- Two figures do not add up across the cut, and what they need is kept beside the counts:
-- - repeat callers (citizens with more than 30 counted alarms in the month): each citizen's count before
--   `until` (stats_month_to_date_citizens), so that today's alarms find who crosses the threshold today;
-- - incidents settled without a visit (counted once each): today's part skips incidents that already have
--   such an alarm before `until`, found by alarms_incident.
-- Medians and p90 follow from the answer-time and arrival histograms, which add up.

-- The start of today (of this transaction's now()) in Copenhagen time: alarms received before it are in
-- the month-to-date rollup, if one is stored.
CREATE FUNCTION stats_open_day_start() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
  RETURN date_trunc('day', now() AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'Europe/Copenhagen';

-- One row per municipality and month: countMonths' counts of the alarms received from the month's start
-- up to `until` (domain/statistics.ts, MonthCounts). Removed when the month's own rollup is stored.
CREATE TABLE stats_month_to_date (
  municipality_id  text NOT NULL,
  month            date NOT NULL CHECK (extract(day FROM month) = 1),
  until            timestamptz NOT NULL,
  counts           jsonb NOT NULL,
  computed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, month)
);

-- Counted alarms per citizen in the month up to the month-to-date rollup's `until` (written with it).
CREATE TABLE stats_month_to_date_citizens (
  municipality_id  text NOT NULL,
  month            date NOT NULL,
  citizen_id       text NOT NULL,
  alarms           integer NOT NULL,
  PRIMARY KEY (municipality_id, month, citizen_id)
);

-- Marks now reach back to the start of today: a change to an alarm received earlier this month makes the
-- month-to-date rollup stale (a change to today's alarms, the hot path, still only evaluates the
-- condition). The current month carries no monthly rollup, so its marks matter only to the month-to-date
-- rollup; they are cleared when it is stored again, or when the month's own rollup is.
DROP TRIGGER alarms_stats_stale ON alarms;
CREATE TRIGGER alarms_stats_stale
  AFTER UPDATE OF status, triage_class, claimed_at, outcome, resolved_at ON alarms
  FOR EACH ROW WHEN (OLD.received_at < stats_open_day_start())
  EXECUTE FUNCTION stats_mark_alarm_stale();

CREATE OR REPLACE FUNCTION stats_mark_dispatch_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_stale (municipality_id, month, xid)
  SELECT a.municipality_id, stats_month(a.received_at), pg_current_xact_id()
  FROM alarms a
  WHERE a.id = NEW.alarm_id AND a.received_at < stats_open_day_start()
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
