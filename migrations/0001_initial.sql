-- Responscenter: the system of record. Forward-only; never edit a migration once released.

CREATE TABLE municipalities (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  code        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gateways (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  -- SHA-256 of the API key: keys are long random secrets, so a fast hash is safe and keeps
  -- authentication off the alarm hot path's CPU budget (passwords use argon2id).
  api_key_hash       text NOT NULL UNIQUE,
  -- Ordered: an alarm from an unknown device belongs to the first.
  municipalities     text[] NOT NULL CHECK (cardinality(municipalities) > 0),
  heartbeat_seconds  integer NOT NULL DEFAULT 300 CHECK (heartbeat_seconds > 0),
  last_heartbeat_at  timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE citizens (
  id               text PRIMARY KEY,
  municipality_id  text NOT NULL REFERENCES municipalities (id),
  name             text NOT NULL,
  address          text NOT NULL,
  phone            text NOT NULL DEFAULT '',
  key_safe         text NOT NULL DEFAULT '',
  notes            text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizens_municipality ON citizens (municipality_id);

CREATE TABLE devices (
  id          text PRIMARY KEY,
  citizen_id  text REFERENCES citizens (id),
  gateway_id  text REFERENCES gateways (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_citizen ON devices (citizen_id);

CREATE TABLE users (
  username        text PRIMARY KEY,
  password_hash   text NOT NULL,
  role            text NOT NULL CHECK (role IN ('operator', 'supervisor', 'planner', 'analyst', 'admin')),
  -- Municipality ids, or the single element '*' for all.
  municipalities  text[] NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  username    text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Alarms are the record: no foreign keys, so an authenticated gateway's event is stored whatever
-- state the registry is in (a real emergency is never dropped for a registry mistake).
CREATE TABLE alarms (
  id                 uuid PRIMARY KEY,
  gateway_id         text NOT NULL,
  event_id           text NOT NULL,
  municipality_id    text NOT NULL,
  device_id          text NOT NULL,
  citizen_id         text,
  unknown_device     boolean NOT NULL,
  type               text NOT NULL,
  lane               text NOT NULL,
  occurred_at        timestamptz NOT NULL,
  received_at        timestamptz NOT NULL DEFAULT now(),
  voice              text,
  relates_to         text,
  battery_percent    smallint,
  details            jsonb NOT NULL DEFAULT '{}',
  incident_id        uuid NOT NULL,
  status             text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'triaged', 'claimed', 'resolved')),
  triage_class       text CHECK (triage_class IN ('false_alarm', 'phone_resolvable', 'dispatch')),
  triage_priority    smallint CHECK (triage_priority BETWEEN 1 AND 5),
  triage_confidence  real,
  triage_reasons     text[],
  triaged_at         timestamptz,
  escalated          boolean NOT NULL DEFAULT false,
  claimed_by         text,
  claimed_at         timestamptz,
  outcome            text CHECK (outcome IN ('false_alarm', 'phone_resolvable', 'dispatch')),
  note               text,
  resolved_by        text,
  resolved_at        timestamptz,
  CONSTRAINT alarms_idempotency UNIQUE (gateway_id, event_id)
);
-- The reconciler's scan: stored but not yet triaged.
CREATE INDEX alarms_untriaged ON alarms (received_at) WHERE triaged_at IS NULL;
CREATE INDEX alarms_received ON alarms (received_at DESC, id DESC);
CREATE INDEX alarms_municipality_received ON alarms (municipality_id, received_at DESC, id DESC);
CREATE INDEX alarms_open ON alarms (municipality_id, received_at DESC) WHERE status <> 'resolved';
-- Incident grouping at accept: a device's latest open alarm in the same lane.
CREATE INDEX alarms_device_open ON alarms (device_id, lane, received_at DESC) WHERE status <> 'resolved';
-- Triage context: earlier alarms of the incident, and cancels that follow up an event.
CREATE INDEX alarms_incident ON alarms (incident_id, received_at);
CREATE INDEX alarms_relates_to ON alarms (gateway_id, relates_to) WHERE relates_to IS NOT NULL;

CREATE TABLE dispatches (
  id               uuid PRIMARY KEY,
  alarm_id         uuid NOT NULL UNIQUE REFERENCES alarms (id),
  municipality_id  text NOT NULL,
  citizen_id       text,
  status           text NOT NULL DEFAULT 'requested'
                   CHECK (status IN ('requested', 'accepted', 'en_route', 'arrived', 'completed', 'cancelled')),
  team             text,
  requested_by     text NOT NULL,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispatches_municipality ON dispatches (municipality_id, requested_at DESC);

-- The live feed's log: one row per change of an alarm or dispatch, with the view as it was then.
--
-- seq is the feed's global order and must be commit order: a reader that has seen seq N must never
-- later find N-1 committed behind it. So seq is not taken while the transaction runs; a deferred
-- constraint trigger assigns it at COMMIT, under a transaction-scoped advisory lock that is released
-- only when the commit is complete. Between lock and commit nothing waits on a client: the lock is
-- held for the trigger's UPDATE and the commit itself, whatever the application is doing.
-- Rows are invisible to readers until then, and every committed row has its seq.
CREATE SEQUENCE change_seq AS bigint;
CREATE TABLE changes (
  id               bigserial PRIMARY KEY,
  seq              bigint UNIQUE,
  kind             text NOT NULL CHECK (kind IN ('alarm', 'dispatch')),
  entity_id        uuid NOT NULL,
  municipality_id  text NOT NULL,
  payload          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_entity ON changes (entity_id, seq DESC);
-- Only the committing transaction's own rows are ever without seq (others' are invisible to it).
CREATE INDEX changes_unsequenced ON changes (id) WHERE seq IS NULL;

-- Superseded: 0002_sequence_each_row.sql replaces this function's body (each row is sequenced by its
-- key, no search through changes_unsequenced) and drops that index. The guarantee is the same; read
-- 0002 for the function in force.
CREATE FUNCTION changes_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Fires once per inserted row at COMMIT; the first firing sequences every row of the transaction.
  IF current_setting('responscenter.sequenced_xact', true) IS DISTINCT FROM pg_current_xact_id()::text THEN
    PERFORM pg_advisory_xact_lock(72530002);
    UPDATE changes c SET seq = s.seq
    FROM (SELECT u.id, nextval('change_seq') AS seq
          FROM (SELECT id FROM changes WHERE seq IS NULL ORDER BY id) u) s
    WHERE c.id = s.id;
    PERFORM set_config('responscenter.sequenced_xact', pg_current_xact_id()::text, true);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER changes_sequence_at_commit AFTER INSERT ON changes
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION changes_assign_seq();

-- Every read of a citizen's personal data: who, which citizen, in which alarm's context, when.
CREATE TABLE citizen_reads (
  id          bigserial PRIMARY KEY,
  username    text NOT NULL,
  citizen_id  text NOT NULL,
  alarm_id    uuid,
  purpose     text NOT NULL,
  read_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizen_reads_citizen ON citizen_reads (citizen_id, read_at DESC);
CREATE INDEX citizen_reads_username ON citizen_reads (username, read_at DESC);
