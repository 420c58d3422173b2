-- Escalations: an alarm left unanswered past its municipality's answer target, a claimed alarm left
-- unresolved past `unresolved_after_minutes`, a dispatch home care has not accepted within
-- `dispatch_accept_minutes` (migrations/0004).
--
-- No deadline is stored: each is a stored timestamp (received_at, claimed_at, requested_at) plus the
-- municipality's stored limit, compared with the database clock by the worker's escalation loop
-- (db/escalations.ts). Nothing is added to the accept statement, a changed limit applies at once to
-- what is waiting, and a restart of any process loses no deadline. What is stored is the fact of an
-- escalation, once: on the row (what the views show) and in `escalations` (the record, for statistics
-- and the supervisor's view).

-- The alarm's latest escalation. `escalated` (0001) turns true with the first and stays true.
ALTER TABLE alarms
  ADD COLUMN escalation_reason text CHECK (escalation_reason IN ('unanswered', 'unresolved')),
  ADD COLUMN escalated_at      timestamptz;

-- A dispatch escalates for one reason only: not accepted in time.
ALTER TABLE dispatches
  ADD COLUMN escalated_at timestamptz;

CREATE TABLE escalations (
  id               bigserial PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('alarm', 'dispatch')),
  entity_id        uuid NOT NULL,
  municipality_id  text NOT NULL,
  reason           text NOT NULL CHECK (reason IN ('unanswered', 'unresolved', 'not_accepted')),
  -- When the deadline passed (the timestamp plus the limit in force when it was found due).
  due_at           timestamptz NOT NULL,
  escalated_at     timestamptz NOT NULL DEFAULT now(),
  -- Each deadline escalates once, however many workers look at it.
  CONSTRAINT escalations_once UNIQUE (entity_id, reason)
);
CREATE INDEX escalations_municipality ON escalations (municipality_id, escalated_at DESC);

-- The worker's scans for due deadlines. Each partial index holds only what is still waiting for its
-- deadline: an entry leaves it when the alarm is claimed (or resolved), or escalates. So its size is
-- what arrives within one limit, not the history, and reading all of it every second is cheap.
--
-- Waiting for an operator, not yet escalated. Technical events and tests (the technical lane, which
-- holds exactly those types: domain/events.ts laneFor) have no answer target, as they do not count in
-- the answer statistics; leaving them out also keeps a mains-failure storm out of this index.
CREATE INDEX alarms_answer_due ON alarms (received_at)
  WHERE status IN ('received', 'triaged') AND NOT escalated AND lane <> 'technical';
-- Claimed, not yet escalated as unresolved.
CREATE INDEX alarms_resolution_due ON alarms (claimed_at)
  WHERE status = 'claimed' AND escalation_reason IS DISTINCT FROM 'unresolved';
-- Dispatches not yet accepted: the due scan, and the centre's count of those escalated.
CREATE INDEX dispatches_requested ON dispatches (requested_at) WHERE status = 'requested';
