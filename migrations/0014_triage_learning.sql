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

-- A press's context: the same unit's technical trouble in the hour before it.
CREATE INDEX alarms_device_trouble ON alarms (device_id, type, received_at)
  WHERE type IN ('low_battery', 'mains_failure');
