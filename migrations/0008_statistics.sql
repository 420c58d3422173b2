-- Monthly statistics: what they need recorded (arrivals, corrections, the business-case settings), the
-- monthly rollups that make them fast, and the frozen monthly reports.
--
-- Months are calendar months in Europe/Copenhagen time of receipt. A month's figures are computed from
-- the raw alarms by one query (db/statistics.ts, `countMonths`). Once a month has ended and no
-- transaction that began before its end is still running, that result is stored in stats_months, so a
-- year is read as twelve rows instead of aggregated from tens of thousands. The current month is always
-- computed from the raw alarms.
--
-- A rollup is a cache, never the record: whenever a decision, triage, correction or arrival changes an
-- alarm of a month that has ended, a trigger below marks that month stale in the same transaction, the
-- reader computes a stale month from the raw alarms, and the worker stores it again. Marks are keyed by
-- the writing transaction, so a refresh deletes only the marks its snapshot saw, and a change committed
-- meanwhile keeps its mark.

CREATE FUNCTION stats_month(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_trunc('month', at AT TIME ZONE 'Europe/Copenhagen')::date;

-- The start of the current month (of this transaction's now()): alarms received before it belong to
-- months that have ended.
CREATE FUNCTION stats_open_month_start() RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
  RETURN date_trunc('month', now() AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'Europe/Copenhagen';

-- Dispatch to arrival: the first time a dispatch reaches arrived (or completed, when home care reports
-- the visit done without reporting the arrival: then the completion is the latest the arrival can be).
ALTER TABLE dispatches ADD COLUMN arrived_at timestamptz;

-- The business case, per municipality (see README, "Statistics"). ASSUMPTION, the defaults: no source
-- gave these; they are placeholders each municipality replaces with its own figures through the registry.
-- visit_*: an unplanned home-care visit (driving there and back and the time on site) and what it costs.
-- night_visit_*: a physical night check by the night patrol, which a remote night check replaces.
-- false_alarm_target_rate: the municipality's own target for the share of false alarms (null: none set).
-- share_statistics: the municipality takes part in the shared, anonymised figures (an opt-out flag).
ALTER TABLE municipalities
  ADD COLUMN visit_minutes           integer NOT NULL DEFAULT 45 CHECK (visit_minutes BETWEEN 1 AND 600),
  ADD COLUMN visit_cost_dkk          integer NOT NULL DEFAULT 400 CHECK (visit_cost_dkk BETWEEN 0 AND 100000),
  ADD COLUMN night_visit_minutes     integer NOT NULL DEFAULT 30 CHECK (night_visit_minutes BETWEEN 1 AND 600),
  ADD COLUMN night_visit_cost_dkk    integer NOT NULL DEFAULT 350 CHECK (night_visit_cost_dkk BETWEEN 0 AND 100000),
  ADD COLUMN false_alarm_target_rate double precision CHECK (false_alarm_target_rate BETWEEN 0 AND 1),
  ADD COLUMN share_statistics        boolean NOT NULL DEFAULT true;

-- A decision changed after the fact (POST /v1/alarms/:id/correct): who, when, from what to what, why.
-- alarm_received_at places the correction in its alarm's month without a join.
CREATE TABLE alarm_corrections (
  id                 bigserial PRIMARY KEY,
  alarm_id           uuid NOT NULL REFERENCES alarms (id),
  municipality_id    text NOT NULL,
  alarm_received_at  timestamptz NOT NULL,
  previous_outcome   text NOT NULL CHECK (previous_outcome IN ('false_alarm', 'phone_resolvable', 'dispatch')),
  outcome            text NOT NULL CHECK (outcome IN ('false_alarm', 'phone_resolvable', 'dispatch')),
  note               text,
  corrected_by       text NOT NULL,
  corrected_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_corrections_alarm ON alarm_corrections (alarm_id, corrected_at);
CREATE INDEX alarm_corrections_month ON alarm_corrections (municipality_id, alarm_received_at);

-- One row per municipality and ended month: the month's counts (domain/statistics.ts, MonthCounts).
CREATE TABLE stats_months (
  municipality_id  text NOT NULL,
  month            date NOT NULL CHECK (extract(day FROM month) = 1),
  counts           jsonb NOT NULL,
  computed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, month)
);

-- Months whose rollup no longer matches the alarms: one row per month and writing transaction.
CREATE TABLE stats_stale (
  municipality_id  text NOT NULL,
  month            date NOT NULL,
  xid              xid8 NOT NULL,
  marked_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, month, xid)
);

CREATE FUNCTION stats_mark_alarm_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_stale (municipality_id, month, xid)
  VALUES (NEW.municipality_id, stats_month(NEW.received_at), pg_current_xact_id())
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- Only for alarms of ended months: the hot path (triage, claim and resolve of this month's alarms)
-- evaluates the condition and nothing more.
CREATE TRIGGER alarms_stats_stale
  AFTER UPDATE OF status, triage_class, claimed_at, outcome, resolved_at ON alarms
  FOR EACH ROW WHEN (OLD.received_at < stats_open_month_start())
  EXECUTE FUNCTION stats_mark_alarm_stale();

CREATE FUNCTION stats_mark_dispatch_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_stale (municipality_id, month, xid)
  SELECT a.municipality_id, stats_month(a.received_at), pg_current_xact_id()
  FROM alarms a
  WHERE a.id = NEW.alarm_id AND a.received_at < stats_open_month_start()
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER dispatches_stats_stale
  AFTER UPDATE OF arrived_at ON dispatches
  FOR EACH ROW WHEN (NEW.arrived_at IS DISTINCT FROM OLD.arrived_at)
  EXECUTE FUNCTION stats_mark_dispatch_stale();

-- The monthly report: a month's counts and the municipality's settings as they were when the month was
-- frozen (on the first day of the next month). Never updated: a later correction shows as a difference
-- between this row and the live figures.
CREATE TABLE stats_reports (
  municipality_id  text NOT NULL REFERENCES municipalities (id),
  month            date NOT NULL CHECK (extract(day FROM month) = 1),
  frozen_at        timestamptz NOT NULL DEFAULT now(),
  counts           jsonb NOT NULL,
  settings         jsonb NOT NULL,
  PRIMARY KEY (municipality_id, month)
);
