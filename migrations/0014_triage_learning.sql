-- Triage that learns from operators' decisions (domain/triage-learning.ts, db/triage-evidence.ts).
--
-- triage_evidence: one summary row per citizen, per municipality and one for the whole centre (scope
-- 'global', key ''): decayed counts of decided outcomes as of updated_at (the decay is applied lazily, by
-- the code that reads or updates a row). A citizen's row also keeps when they last needed a visit (a
-- decision `dispatch` on any of their alarms but technical, test and cancel events): the floor "never
-- false within 30 days of a visit". Rows are updated in the decision's transaction and read by the
-- statement that locks an alarm for triage: never a scan of the alarms.
CREATE TABLE triage_evidence (
  scope             text NOT NULL CHECK (scope IN ('citizen', 'municipality', 'global')),
  key               text NOT NULL,
  false_alarm       double precision NOT NULL DEFAULT 0 CHECK (false_alarm >= 0),
  phone_resolvable  double precision NOT NULL DEFAULT 0 CHECK (phone_resolvable >= 0),
  dispatch          double precision NOT NULL DEFAULT 0 CHECK (dispatch >= 0),
  updated_at        timestamptz NOT NULL,
  last_visit_at     timestamptz,
  PRIMARY KEY (scope, key)
);

-- What each decided incident contributed (one row per incident: one situation, one decision), so a
-- decision delivered again counts once and a correction replaces its outcome instead of adding one.
-- `learned`: the incident holds an alarm of a type that learns (a press), so it counts in the
-- evidence; `at` is that alarm's receipt, the time its weight decays from.
CREATE TABLE triage_decisions (
  incident_id      uuid PRIMARY KEY,
  alarm_id         uuid NOT NULL,
  municipality_id  text NOT NULL,
  citizen_id       text,
  learned          boolean NOT NULL,
  outcome          text NOT NULL CHECK (outcome IN ('false_alarm', 'phone_resolvable', 'dispatch')),
  at               timestamptz NOT NULL,
  decided_at       timestamptz NOT NULL DEFAULT now()
);
-- A citizen's latest visit again after a correction took one back.
CREATE INDEX triage_decisions_visits ON triage_decisions (citizen_id, at DESC) WHERE outcome = 'dispatch';

-- The advice's reasons as keys with parameters (the words stay in triage_reasons) and what the learning
-- contributed (prior used, evidence, confidence); null on alarms triaged before this migration.
ALTER TABLE alarms
  ADD COLUMN triage_reason_keys jsonb,
  ADD COLUMN triage_learning    jsonb;

-- A press's context: the same unit's technical trouble in the hour before it; and a mains failure's
-- restore, which closes its maintenance task.
CREATE INDEX alarms_device_trouble ON alarms (device_id, type, received_at)
  WHERE type IN ('low_battery', 'mains_failure', 'mains_restored');

-- Technical alarms are no emergency for the citizen but work for someone: one open maintenance task per
-- unit (device, or gateway for heartbeat_missed), municipality and kind, opened by the first such alarm
-- in the triage's transaction and counting the ones that follow; closed by the matching restore
-- (mains_restored for a mains failure, the gateway's next heartbeat for heartbeat_missed) or by hand
-- (POST /v1/maintenance/:id/close). closed_by: 'restore' or the username.
CREATE TABLE maintenance_tasks (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  municipality_id  text NOT NULL,
  device_id        text NOT NULL,
  citizen_id       text,
  kind             text NOT NULL CHECK (kind IN ('low_battery', 'mains_failure', 'tamper', 'heartbeat_missed')),
  opened_by        uuid NOT NULL,
  opened_at        timestamptz NOT NULL,
  last_alarm_at    timestamptz NOT NULL,
  alarms           integer NOT NULL DEFAULT 1 CHECK (alarms > 0),
  closed_at        timestamptz,
  closed_by        text,
  closed_by_alarm  uuid,
  note             text,
  CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);
CREATE UNIQUE INDEX maintenance_tasks_open ON maintenance_tasks (municipality_id, device_id, kind) WHERE closed_at IS NULL;
CREATE INDEX maintenance_tasks_municipality ON maintenance_tasks (municipality_id, opened_at DESC, id DESC);

-- A municipality's triage settings (domain/triage.ts, TriageSettings; ASSUMPTION, the defaults there).
-- incident_window_minutes: alarms of one unit this close together are one incident (db/accept.ts).
-- cancel_window_seconds: a cancel this long after its press settles it as false; a later one leaves it
-- for a call. self_closing_types: types triage resolves itself as false alarms; only tests and technical
-- events other than a missing heartbeat may be listed, never a press (also checked by the registry).
ALTER TABLE municipalities
  ADD COLUMN incident_window_minutes integer NOT NULL DEFAULT 30 CHECK (incident_window_minutes BETWEEN 1 AND 240),
  ADD COLUMN cancel_window_seconds   integer NOT NULL DEFAULT 300 CHECK (cancel_window_seconds BETWEEN 0 AND 3600),
  ADD COLUMN self_closing_types      text[] NOT NULL DEFAULT '{test,mains_restored}'
    CHECK (self_closing_types <@ ARRAY['test', 'low_battery', 'mains_failure', 'mains_restored', 'tamper']);
