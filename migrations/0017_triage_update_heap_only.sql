-- Triage's UPDATE of an alarm as a heap-only (HOT) update: the new row version goes on the same page and
-- no index gets a new entry. Postgres does that only when no column any index of the table refers to
-- (key, predicate or expression) changes value, and the page has room. Triage changes `status`
-- (received → triaged) and sets `triaged_at`, and both were in index predicates: every triage wrote
-- the alarm's ten index entries a second time.
--
-- 1. "Open", "waiting for an operator" and "claimed" are read from the timestamps that the same updates
--    set with the status, which triage leaves as they are (unless it closes the alarm itself, which
--    takes it out of the open indexes and so cannot be HOT anyway). A CHECK keeps the two in step:
--      received, triaged: claimed_at and resolved_at null;
--      claimed:           claimed_at set, resolved_at null;
--      resolved:          resolved_at set (claimed_at set by an operator's decision, null when triage
--                         or a check-in closed it).
--    Queries that want the partial indexes repeat the predicates (db/open.ts).
-- 2. The reconciler's list of alarms stored but not triaged leaves `alarms` for a table of its own,
--    written in the same statements that store an alarm (a row) and its triage (the row deleted).
-- 3. Alarm pages are filled to 70 %, so that a page's alarms, triaged moments after they were stored,
--    find room for their new versions on the same page.
ALTER TABLE alarms ADD CONSTRAINT alarms_status_times CHECK (
  CASE status
    WHEN 'resolved' THEN resolved_at IS NOT NULL
    WHEN 'claimed' THEN claimed_at IS NOT NULL AND resolved_at IS NULL
    ELSE claimed_at IS NULL AND resolved_at IS NULL
  END);

DROP INDEX alarms_open;
CREATE INDEX alarms_open ON alarms (municipality_id, received_at DESC) WHERE resolved_at IS NULL;
DROP INDEX alarms_device_open;
CREATE INDEX alarms_device_open ON alarms (device_id, lane, received_at DESC) WHERE resolved_at IS NULL;
DROP INDEX alarms_answer_due;
CREATE INDEX alarms_answer_due ON alarms (received_at)
  WHERE claimed_at IS NULL AND resolved_at IS NULL AND NOT escalated AND lane <> 'technical';
DROP INDEX alarms_resolution_due;
CREATE INDEX alarms_resolution_due ON alarms (claimed_at)
  WHERE claimed_at IS NOT NULL AND resolved_at IS NULL AND escalation_reason IS DISTINCT FROM 'unresolved';

-- Alarms stored and not yet triaged: a row per alarm from its accept to its triage.
CREATE TABLE triage_pending (
  alarm_id     uuid PRIMARY KEY,
  received_at  timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);
INSERT INTO triage_pending (alarm_id, received_at) SELECT id, received_at FROM alarms WHERE triaged_at IS NULL;
DROP INDEX alarms_untriaged;

ALTER TABLE alarms SET (fillfactor = 70);
