-- Sequence each change row by its primary key instead of searching for the transaction's unsequenced
-- rows. The search used the partial index changes_unsequenced, whose entries for rows already
-- sequenced stay behind as dead tuples until VACUUM: every commit scanned all of them under the
-- advisory lock, so commits grew slower with the log and serialised everything that writes changes.
--
-- The guarantee is unchanged: seq is assigned at COMMIT, under a transaction-scoped advisory lock
-- released only when the commit is complete, so seq order is commit order. Deferred row triggers fire
-- in the order the rows were inserted, so a transaction's changes keep their order too.
CREATE OR REPLACE FUNCTION changes_assign_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('responscenter.sequenced_xact', true) IS DISTINCT FROM pg_current_xact_id()::text THEN
    PERFORM pg_advisory_xact_lock(72530002);
    PERFORM set_config('responscenter.sequenced_xact', pg_current_xact_id()::text, true);
  END IF;
  UPDATE changes SET seq = nextval('change_seq') WHERE id = NEW.id;
  RETURN NULL;
END $$;

DROP INDEX changes_unsequenced;
