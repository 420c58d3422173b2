-- Sessions that can be ended: by the user (log out everywhere), by an admin, by disabling the user or
-- changing their password, role or scope, and by an idle timeout.
--
-- Ending a session is deleting its row; every console process learns of it at once through NOTIFY on
-- `responscenter_sessions` (payload: the username), sent by Postgres at COMMIT whoever deleted it (the
-- console, the registry import's command line, an operator with psql), so open live feeds close at once
-- instead of at the next periodic re-check.
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;

ALTER TABLE sessions
  ADD COLUMN id           uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- The client's address at login (TRUST_PROXY decides which one), for the admin's list.
  ADD COLUMN address      text;
CREATE INDEX sessions_username ON sessions (username);

-- A user whose password, role, scope or disabled flag changes keeps no session made before.
CREATE FUNCTION sessions_end_on_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sessions WHERE username = NEW.username;
  RETURN NULL;
END $$;
CREATE TRIGGER users_end_sessions AFTER UPDATE ON users FOR EACH ROW
  WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
        OR OLD.role IS DISTINCT FROM NEW.role
        OR OLD.municipalities IS DISTINCT FROM NEW.municipalities
        OR OLD.disabled IS DISTINCT FROM NEW.disabled)
  EXECUTE FUNCTION sessions_end_on_user_change();

-- Whoever ends sessions, the consoles hear of it (once per user and statement; delivered at COMMIT).
CREATE FUNCTION sessions_announce_end() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE u text;
BEGIN
  FOR u IN SELECT DISTINCT username FROM ended LOOP
    PERFORM pg_notify('responscenter_sessions', u);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER sessions_announce_end AFTER DELETE ON sessions REFERENCING OLD TABLE AS ended
  FOR EACH STATEMENT EXECUTE FUNCTION sessions_announce_end();
