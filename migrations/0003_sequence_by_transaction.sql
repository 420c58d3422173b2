-- The change log's seq without a lock: every writer used to pass one advisory lock at COMMIT (0001,
-- 0002), held through the WAL flush, so all writing transactions in the system committed one at a
-- time, and every change row was inserted and then updated (a dead tuple per change).
--
-- Now seq is fixed at INSERT from the writer's transaction id and the row's place in its transaction:
--
--   seq = OFFSET + (xid - BASE) * 2^20 + n      (n = 1, 2, … within the transaction)
--
-- so seq orders changes by transaction id, then by their order within the transaction. Transaction
-- ids are handed out in order but transactions commit in any order, so a reader must not serve a seq
-- until no transaction that could still write a lower one is running: `change_horizon()` is the seq
-- of the oldest transaction still running (pg_snapshot_xmin of the reader's snapshot); every row
-- below it is committed or will never exist. Readers serve only seq < change_horizon(), in seq order
-- (db/changes.ts), so a reader that has seen seq N never later finds a seq below N: what is above the
-- horizon is held back until the older transactions end, never lost and never out of order.
--
-- BASE is this migration's own transaction id and OFFSET the highest seq assigned before it, so new
-- seqs continue above the old ones. 2^20 changes fit in one transaction (the largest batch writes a
-- thousand); seqs stay below 2^53, exact in JavaScript, for 2^33 writing transactions after this one.
LOCK TABLE changes IN ACCESS EXCLUSIVE MODE;

DROP TRIGGER changes_sequence_at_commit ON changes;
DROP FUNCTION changes_assign_seq();
DROP SEQUENCE change_seq;

DO $migration$
DECLARE
  base   bigint := pg_current_xact_id()::text::bigint;
  offs   bigint := (SELECT coalesce(max(seq), 0) FROM changes);
BEGIN
  -- The seq of the next change of the current transaction.
  EXECUTE format($f$
    CREATE FUNCTION next_change_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $body$
    DECLARE
      xid bigint := pg_current_xact_id()::text::bigint;
      n   bigint := coalesce(nullif(current_setting('responscenter.change_ordinal', true), ''), '0')::bigint + 1;
    BEGIN
      IF xid <= %1$s THEN
        RAISE EXCEPTION 'a transaction begun before migration 0003 cannot append to the change log; retry it';
      END IF;
      IF n >= 1048576 THEN
        RAISE EXCEPTION 'one transaction may append at most 1048575 changes';
      END IF;
      -- Transaction-local: back to empty when the transaction ends.
      PERFORM set_config('responscenter.change_ordinal', n::text, true);
      RETURN %2$s + (xid - %1$s) * 1048576 + n;
    END $body$;
  $f$, base, offs);

  -- Seqs below this are final: committed, or never to exist.
  EXECUTE format($f$
    CREATE FUNCTION change_horizon() RETURNS bigint LANGUAGE sql STABLE AS $body$
      SELECT %2$s + (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - %1$s) * 1048576
    $body$;
  $f$, base, offs);
END $migration$;

ALTER TABLE changes ALTER COLUMN seq SET DEFAULT next_change_seq();
ALTER TABLE changes ALTER COLUMN seq SET NOT NULL;
ALTER TABLE changes DROP COLUMN id;
ALTER TABLE changes DROP CONSTRAINT changes_seq_key;
ALTER TABLE changes ADD CONSTRAINT changes_pkey PRIMARY KEY (seq);
