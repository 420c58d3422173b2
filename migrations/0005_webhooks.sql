-- Per-municipality webhooks: every dispatch change is POSTed, signed, to the municipality's
-- care-planning system, until that system acknowledges it.
--
-- The outbox (webhook_deliveries) is written in the transaction that changes the dispatch
-- (db/webhook-outbox.ts, called from db/changes.ts), so a delivery exists exactly when its change was
-- committed: a crash between the commit and the queueing loses nothing, and the relay
-- (services/webhooks/relay.ts) hands every undelivered row to BullMQ with the row's id as the job id.

-- A dispatch's change number: 1 when it is requested, one more with each change. Changes of one
-- dispatch are made one at a time (the update locks the row), so a later change always has a higher
-- version; a webhook receiver keeps the highest it has seen. Existing dispatches start at 1.
ALTER TABLE dispatches ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE TABLE webhooks (
  municipality_id    text PRIMARY KEY REFERENCES municipalities (id),
  -- http or https; set by administrators only (the worker will POST to whatever host it names).
  url                text NOT NULL,
  -- The HMAC-SHA256 key shared with the receiver. Stored as given: signing needs the key itself, so a
  -- hash would not do.
  secret             text NOT NULL,
  last_delivered_at  timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  -- The delivery id the receiver de-duplicates on: fixed when the change is committed, the same on
  -- every attempt.
  id               uuid PRIMARY KEY,
  -- Removing a webhook removes its deliveries still waiting: there is nowhere left to send them.
  municipality_id  text NOT NULL REFERENCES webhooks (municipality_id) ON DELETE CASCADE,
  dispatch_id      uuid NOT NULL,
  version          integer NOT NULL,
  -- The dispatch view as the change left it.
  dispatch         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- Last handed to the queue; the relay offers it again when it stays undelivered.
  relayed_at       timestamptz,
  delivered_at     timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  last_attempt_at  timestamptz,
  -- The first failed attempt: while this delivery waits, the webhook counts as failing since then.
  first_failed_at  timestamptz,
  -- The HTTP status of the last attempt (null: no answer) and, when it failed, why (no response bodies).
  last_status      smallint,
  last_error       text,
  -- One delivery per change and webhook: a change never becomes a second event.
  CONSTRAINT webhook_deliveries_once UNIQUE (municipality_id, dispatch_id, version)
);
-- The relay's scan, and the health of each webhook: what is still waiting.
CREATE INDEX webhook_deliveries_waiting ON webhook_deliveries (created_at, id) WHERE delivered_at IS NULL;
CREATE INDEX webhook_deliveries_municipality_waiting ON webhook_deliveries (municipality_id) WHERE delivered_at IS NULL;
-- A dispatch's latest delivery, for the planners' lists.
CREATE INDEX webhook_deliveries_dispatch ON webhook_deliveries (dispatch_id, version DESC);
-- Pruning delivered rows once they are old.
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
