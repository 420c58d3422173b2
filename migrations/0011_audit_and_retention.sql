-- The audit trail (who did what to whose data, from where, allowed or refused), append-only; the service's
-- own database role; and the retention of alarms' personal data per municipality.

-- ---------------------------------------------------------------------------------------------------
-- audit_events: one row per audited act. Ids and closed lists only, never free text a person typed
-- (the lists are domain/audit.ts; a new action or reason is a new migration replacing the CHECK).
CREATE TABLE audit_events (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  -- The user acting; null for a failed login naming no known user (so a password typed into the
  -- username field is never stored) and for the command line.
  actor            text,
  actor_role       text,
  -- The console session (sessions.id), and the client's address as TRUST_PROXY reads it.
  session_id       uuid,
  address          text,
  -- The server's own request id (the reqId of the request's log lines).
  request_id       text,
  action           text NOT NULL CONSTRAINT audit_events_action CHECK (action IN (
                     'card.read', 'card.read.board',
                     'alarm.claim', 'alarm.resolve', 'alarm.correct', 'dispatch.update',
                     'registry.import', 'registry.citizen',
                     'login.success', 'login.failure', 'login.throttled', 'logout', 'logout.all',
                     'sessions.list', 'sessions.revoke', 'admin.webhook.set', 'admin.webhook.delete',
                     'audit.query', 'audit.access_history', 'admin.triage_settings',
                     'admin.gateway.key.create', 'admin.gateway.key.revoke', 'admin.gateway.disable',
                     'admin.gateway.enable', 'schedule.set', 'schedule.delete', 'consent.record',
                     'consent.withdraw')),
  -- Why a card was read (the card's context).
  purpose          text CONSTRAINT audit_events_purpose CHECK (purpose IN (
                     'alarm_handling', 'citizen_card', 'dispatch_planning', 'board')),
  municipality_id  text,
  citizen_id       text,
  alarm_id         uuid,
  outcome          text NOT NULL CHECK (outcome IN ('allowed', 'refused')),
  reason           text CONSTRAINT audit_events_reason CHECK (reason IN (
                     'role', 'scope', 'not_found', 'conflict', 'invalid',
                     'bad_password', 'unknown_user', 'disabled', 'throttled'))
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_citizen ON audit_events (citizen_id, id DESC) WHERE citizen_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor, id DESC) WHERE actor IS NOT NULL;
CREATE INDEX audit_events_alarm ON audit_events (alarm_id) WHERE alarm_id IS NOT NULL;

-- The card reads recorded so far become audit rows (allowed reads: only those were recorded), and
-- citizen_reads lives on as a view of them, so what read it before reads the same.
INSERT INTO audit_events (at, actor, action, purpose, municipality_id, citizen_id, alarm_id, outcome)
SELECT r.read_at, r.username,
       CASE WHEN r.purpose = 'board' THEN 'card.read.board' ELSE 'card.read' END,
       CASE WHEN r.purpose IN ('alarm_handling', 'citizen_card', 'dispatch_planning', 'board') THEN r.purpose END,
       c.municipality_id, r.citizen_id, r.alarm_id, 'allowed'
FROM citizen_reads r LEFT JOIN citizens c ON c.id = r.citizen_id
ORDER BY r.id;
DROP TABLE citizen_reads;
CREATE VIEW citizen_reads WITH (security_invoker = true) AS
  SELECT id, actor AS username, citizen_id, alarm_id, purpose, at AS read_at
  FROM audit_events
  WHERE action IN ('card.read', 'card.read.board') AND outcome = 'allowed';

-- Append-only, for every role, the owner and superusers included (grants bind neither): UPDATE, DELETE
-- and TRUNCATE are refused. The one exception is deleting rows older than six months, and only through
-- audit_prune() below, which sets responscenter.audit_prune for its own statement. The setting is
-- not a secret (any session can set it), so it proves intent, not authority: the six-month floor is
-- checked here, on every row, against the database clock, whoever deletes. Only a role that may drop
-- or disable this trigger (the table's owner, a superuser) can get round it; the service's role cannot.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('responscenter.audit_prune', true) = 'on'
     AND OLD.at < now() - interval '6 months' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'rows older than 6 months are removed only by audit_prune(months, max_rows)';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The retention of the audit trail: removes at most max_rows rows older than keep_months (at least 6),
-- oldest first. SECURITY DEFINER: the service's role may call it without holding DELETE on the table.
DO $do$
BEGIN
  -- The search path is fixed to this schema (pg_catalog first, pg_temp last), as a SECURITY DEFINER
  -- function's must be: nobody can slip in their own audit_events.
  EXECUTE format($f$
    CREATE FUNCTION audit_prune(keep_months integer, max_rows integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp AS $body$
    DECLARE n integer;
    BEGIN
      IF keep_months IS NULL OR keep_months < 6 THEN
        RAISE EXCEPTION 'audit rows are kept at least 6 months (asked: %%)', keep_months
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      PERFORM set_config('responscenter.audit_prune', 'on', true);
      DELETE FROM audit_events WHERE id IN (
        SELECT id FROM audit_events WHERE at < now() - make_interval(months => keep_months)
        ORDER BY at LIMIT max_rows);
      GET DIAGNOSTICS n = ROW_COUNT;
      PERFORM set_config('responscenter.audit_prune', 'off', true);
      RETURN n;
    END $body$$f$, current_schema());
END $do$;
REVOKE ALL ON FUNCTION audit_prune(integer, integer) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- Retention of alarms' personal data, per municipality (months after receipt; default 24).
ALTER TABLE municipalities
  ADD COLUMN retention_months integer NOT NULL DEFAULT 24 CHECK (retention_months BETWEEN 3 AND 240);

-- How far each municipality's alarms have been pseudonymised: the last (received_at, id) done. The job
-- walks the alarms in that order through alarms_municipality_received, so nothing is added to the alarm's
-- own row or indexes (the ingest path is untouched). The row is locked by the batch that moves it, so
-- two workers never work one municipality at once.
CREATE TABLE retention_progress (
  municipality_id  text PRIMARY KEY,
  received_at      timestamptz NOT NULL DEFAULT '-infinity',
  alarm_id         uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- A citizen's or device's id in an alarm past retention is replaced by a keyed hash: the same id gives
-- the same pseudonym (the statistics' repeat callers count alike), and without this installation's key
-- the pseudonym cannot be turned back into the id by hashing a list of ids.
CREATE TABLE retention_key (
  only_one  boolean PRIMARY KEY DEFAULT true CHECK (only_one),
  key       text NOT NULL
);
INSERT INTO retention_key (key)
VALUES (encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'));

CREATE FUNCTION retention_pseudonym(id text) RETURNS text LANGUAGE sql STABLE
  RETURN CASE WHEN id IS NULL OR id LIKE 'pseudonym:%' THEN id
              ELSE 'pseudonym:' || left(encode(sha256(convert_to((SELECT key FROM retention_key) || ':' || id, 'UTF8')), 'hex'), 32)
         END;

-- ---------------------------------------------------------------------------------------------------
-- The service's own role: what the services need, and on audit_events only SELECT and INSERT. Created
-- once per cluster (roles are cluster-wide) and granted in every database migrated; NOLOGIN until an
-- administrator gives it a password (README, "Audit and retention"). Tables later migrations add get
-- the same grants by default. Skipped with a notice when the migrating role may not create roles.
DO $$
BEGIN
  BEGIN
    CREATE ROLE responscenter_app NOLOGIN;
  EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
      RAISE NOTICE 'responscenter_app not created: the migrating role may not create roles';
  END;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'responscenter_app') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO responscenter_app', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO responscenter_app', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO responscenter_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO responscenter_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO responscenter_app', current_schema());
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM responscenter_app;
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON citizen_reads FROM responscenter_app;
    -- The pseudonyms' key: the service reads it (the retention job hashes with it), never changes it.
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON retention_key FROM responscenter_app;
    GRANT EXECUTE ON FUNCTION audit_prune(integer, integer) TO responscenter_app;
    -- The statistics' upkeep reads other sessions' transactions in pg_stat_activity.
    BEGIN
      GRANT pg_read_all_stats TO responscenter_app;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_read_all_stats not granted to responscenter_app';
    END;
  END IF;
END $$;
