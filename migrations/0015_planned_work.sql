-- Planned calls and night supervision: work the centre must do at agreed times (domain/planned.ts).
--
-- A schedule says when (local times of day in Europe/Copenhagen, days of the week, a window); the
-- worker materialises its occurrences ahead of time into care_occurrences, one row per (schedule, due
-- time), and at the due time raises each as an alarm row of type planned_call or night_check. So due
-- times are data: a restart of any process loses none and raises none twice.

-- Retries when the citizen is not reached (planned call) or not seen (night check): after this many
-- minutes, at most this many times; after the last, a dispatch (the night patrol for a night check).
-- 15 minutes for night checks is the primer's "retry after about 15 minutes"; ASSUMPTION: 10 minutes
-- and one retry for planned calls, one retry for night checks.
ALTER TABLE municipalities
  ADD COLUMN planned_call_retry_minutes integer NOT NULL DEFAULT 10 CHECK (planned_call_retry_minutes BETWEEN 1 AND 240),
  ADD COLUMN planned_call_retries       integer NOT NULL DEFAULT 1  CHECK (planned_call_retries BETWEEN 0 AND 5),
  ADD COLUMN night_check_retry_minutes  integer NOT NULL DEFAULT 15 CHECK (night_check_retry_minutes BETWEEN 1 AND 240),
  ADD COLUMN night_check_retries        integer NOT NULL DEFAULT 1  CHECK (night_check_retries BETWEEN 0 AND 5);

-- Consent to night supervision: who consented (the citizen, or a named representative), when, and who
-- recorded it. Withdrawal is kept as history. At most one consent in force per citizen.
CREATE TABLE care_consents (
  id                   uuid PRIMARY KEY,
  citizen_id           text NOT NULL REFERENCES citizens (id),
  given_by             text NOT NULL CHECK (given_by IN ('citizen', 'representative')),
  representative_name  text,
  given_at             timestamptz NOT NULL,
  recorded_by          text NOT NULL,
  recorded_at          timestamptz NOT NULL DEFAULT now(),
  withdrawn_at         timestamptz,
  withdrawn_by         text,
  CHECK ((given_by = 'representative') = (representative_name IS NOT NULL AND representative_name <> '')),
  CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE UNIQUE INDEX care_consents_in_force ON care_consents (citizen_id) WHERE withdrawn_at IS NULL;

CREATE TABLE care_schedules (
  id                text PRIMARY KEY,
  citizen_id        text NOT NULL REFERENCES citizens (id),
  kind              text NOT NULL CHECK (kind IN ('planned_call', 'night_check')),
  -- Local times of day, 'HH:MM', in Europe/Copenhagen.
  times             text[] NOT NULL CHECK (cardinality(times) BETWEEN 1 AND 48),
  -- ISO weekdays, 1 Monday … 7 Sunday.
  days              smallint[] NOT NULL CHECK (cardinality(days) BETWEEN 1 AND 7 AND days <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
  window_minutes    integer NOT NULL CHECK (window_minutes BETWEEN 1 AND 240),
  -- Local dates, inclusive; active_to null: until further notice.
  active_from       date NOT NULL,
  active_to         date CHECK (active_to IS NULL OR active_to >= active_from),
  note              text NOT NULL DEFAULT '',
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  -- Deleted schedules stay for the history of their occurrences; they produce nothing more.
  deleted_at        timestamptz
);
CREATE INDEX care_schedules_citizen ON care_schedules (citizen_id) WHERE deleted_at IS NULL;

-- A night check needs consent in force, in the database too: refused at insert or change otherwise.
CREATE FUNCTION care_schedule_needs_consent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'night_check' AND NEW.deleted_at IS NULL AND NOT EXISTS (
       SELECT 1 FROM care_consents c WHERE c.citizen_id = NEW.citizen_id AND c.withdrawn_at IS NULL) THEN
    RAISE EXCEPTION 'night supervision of citizen % has no consent on record', NEW.citizen_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'care_schedules_consent';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER care_schedules_consent BEFORE INSERT OR UPDATE ON care_schedules
  FOR EACH ROW EXECUTE FUNCTION care_schedule_needs_consent();

-- One row per occurrence of a schedule: its due time, its window, where it stands.
--  pending:  waiting for next_attempt_at (the due time, or a retry's time);
--  raised:   an attempt is on the board (care_attempts);
--  done:     settled (reached or seen, a device check-in, or another decision);
--  missed:   not reached or not seen after the last retry (a dispatch was requested);
--  cancelled: its schedule was changed or deleted, or consent withdrawn, before it was due.
CREATE TABLE care_occurrences (
  id                uuid PRIMARY KEY,
  schedule_id       text NOT NULL REFERENCES care_schedules (id),
  municipality_id   text NOT NULL,
  citizen_id        text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('planned_call', 'night_check')),
  due_at            timestamptz NOT NULL,
  window_ends_at    timestamptz NOT NULL CHECK (window_ends_at > due_at),
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'raised', 'done', 'missed', 'cancelled')),
  next_attempt_at   timestamptz,
  attempts          smallint NOT NULL DEFAULT 0,
  -- When the centre first acted on it: the first attempt's claim, or the device check-in.
  answered_at       timestamptz,
  result            text,
  settled_by        text CHECK (settled_by IN ('operator', 'check_in')),
  check_in_alarm_id uuid UNIQUE,
  dispatched        boolean NOT NULL DEFAULT false,
  settled_at        timestamptz,
  CONSTRAINT care_occurrences_once UNIQUE (schedule_id, due_at),
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- The worker's scan for what is due: only pending rows are in it.
CREATE INDEX care_occurrences_due ON care_occurrences (next_attempt_at) WHERE status = 'pending';
-- Check-ins look for raised planned calls of a citizen.
CREATE INDEX care_occurrences_raised ON care_occurrences (citizen_id) WHERE status = 'raised';
-- Statistics: by municipality and due time.
CREATE INDEX care_occurrences_municipality_due ON care_occurrences (municipality_id, due_at);

-- Each attempt is an alarm row (type planned_call or night_check), raised by the worker.
CREATE TABLE care_attempts (
  alarm_id       uuid PRIMARY KEY,
  occurrence_id  uuid NOT NULL REFERENCES care_occurrences (id),
  attempt        smallint NOT NULL CHECK (attempt >= 1),
  CONSTRAINT care_attempts_once UNIQUE (occurrence_id, attempt)
);

-- An alarm may carry a stored answer deadline: a due item must be claimed by its window's end, not by
-- the municipality's answer target after receipt (db/escalations.ts). And the detailed result of a
-- planned call or night check; `outcome` keeps its three values and their meaning (the contract).
-- Night checks keep only who looked (claimed_by), when and how long (claimed_at → resolved_at) and the
-- result: there is no column that could hold an image.
ALTER TABLE alarms
  ADD COLUMN answer_by timestamptz,
  ADD COLUMN result    text CHECK (result IN ('reached_well', 'reached_needs_help', 'not_reached',
                                              'seen_calm', 'seen_needs_help', 'not_seen', 'checked_in'));
