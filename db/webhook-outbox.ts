// The webhook outbox: one row per dispatch change and webhook, written in the transaction that makes
// the change (appendChanges calls recordWebhookDeliveries), so a delivery exists exactly when its
// change was committed. The relay hands waiting rows to the queue; the delivery worker records each
// attempt here. A row's id is the delivery id the receiver de-duplicates on.
import { sql } from 'kysely';
import type { DispatchView } from '../domain/views.js';
import type { Db, Trx } from './connect.js';

/**
 * Put dispatch changes of this transaction in their municipality's outbox, when it has a webhook.
 * Each carries the dispatch's version as this transaction left it, so call it after the dispatch's
 * row is written, and with at most one change per dispatch (a second would be the same version).
 *
 * The webhook's row is locked FOR KEY SHARE: a webhook being removed at this moment is either waited
 * for and then skipped (its deliveries would be removed with it), or kept until this commits.
 */
export async function recordWebhookDeliveries(trx: Trx, dispatches: readonly DispatchView[]): Promise<void> {
  if (dispatches.length === 0) return;
  const ids = dispatches.map((d) => d.id);
  if (new Set(ids).size !== ids.length) throw new Error('one change per dispatch and transaction');
  await sql`
    INSERT INTO webhook_deliveries (id, municipality_id, dispatch_id, version, dispatch)
    SELECT gen_random_uuid(), w.municipality_id, d.id, d.version, u.payload
    FROM unnest(${ids}::uuid[], ${dispatches.map((d) => JSON.stringify(d))}::jsonb[]) AS u(dispatch_id, payload)
    JOIN dispatches d ON d.id = u.dispatch_id
    JOIN webhooks w ON w.municipality_id = d.municipality_id
    FOR KEY SHARE OF w`.execute(trx);
}

/**
 * Hand waiting deliveries to `hand` (the queue), oldest first, at most `limit`: those never handed,
 * and those handed at least `againAfterMs` ago and still not acknowledged (their job may be gone: its
 * attempts used up, or Redis emptied). Returns how many were handed.
 *
 * The rows are claimed first (relayed_at set, one short statement; a concurrent relay skips rows being
 * claimed), then handed. No transaction stays open across the call to Redis: a writing transaction
 * left open holds back every console's live feed (change_horizon(), migrations/0003), and Redis can
 * be slow to fail. If handing fails, the claim is taken back so the next run tries again; if even that
 * fails, the rows are handed again after `againAfterMs`, late but not lost.
 */
export async function relayWaitingDeliveries(
  db: Db,
  opts: { limit: number; againAfterMs: number },
  hand: (deliveryIds: string[]) => Promise<void>,
): Promise<number> {
  const claimed = await sql<{ id: string }>`
    WITH claimed AS (
      UPDATE webhook_deliveries SET relayed_at = now()
      WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE delivered_at IS NULL
          AND (relayed_at IS NULL OR relayed_at <= now() - make_interval(secs => ${opts.againAfterMs / 1000}))
        ORDER BY created_at, id
        LIMIT ${opts.limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, created_at
    )
    SELECT id FROM claimed ORDER BY created_at, id`.execute(db);
  const ids = claimed.rows.map((r) => r.id);
  if (ids.length === 0) return 0;
  try {
    await hand(ids);
  } catch (err) {
    await sql`UPDATE webhook_deliveries SET relayed_at = NULL WHERE id = ANY(${ids}::uuid[]) AND delivered_at IS NULL`
      .execute(db)
      .catch(() => {});
    throw err;
  }
  return ids.length;
}

/** What one attempt needs: the delivery and its webhook's address and key. */
export type DeliveryToSend = {
  id: string;
  municipality_id: string;
  dispatch_id: string;
  version: number;
  dispatch: unknown;
  delivered_at: Date | null;
  url: string;
  secret: string;
};

/** The delivery with its webhook; undefined when either is gone (the webhook was removed). */
export async function deliveryToSend(db: Db, id: string): Promise<DeliveryToSend | undefined> {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.municipality_id', 'd.municipality_id')
    .select([
      'd.id',
      'd.municipality_id',
      'd.dispatch_id',
      'd.version',
      'd.dispatch',
      'd.delivered_at',
      'w.url',
      'w.secret',
    ])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

/** The receiver acknowledged the delivery (a 2xx): record it, and the webhook's last delivery. */
export async function recordDelivered(db: Db, id: string, status: number): Promise<void> {
  await sql`
    WITH d AS (
      UPDATE webhook_deliveries
      SET delivered_at = now(), attempts = attempts + 1, last_attempt_at = now(), last_status = ${status},
          last_error = NULL
      WHERE id = ${id} AND delivered_at IS NULL
      RETURNING municipality_id
    )
    UPDATE webhooks w SET last_delivered_at = now() FROM d WHERE w.municipality_id = d.municipality_id`.execute(db);
}

/** An attempt failed: the HTTP status when there was an answer, and why (never a response body). */
export async function recordFailedAttempt(
  db: Db,
  id: string,
  failure: { status: number | null; error: string },
): Promise<void> {
  await sql`
    UPDATE webhook_deliveries
    SET attempts = attempts + 1, last_attempt_at = now(), first_failed_at = coalesce(first_failed_at, now()),
        last_status = ${failure.status}, last_error = ${failure.error}
    WHERE id = ${id} AND delivered_at IS NULL`.execute(db);
}

/** Delete acknowledged deliveries older than `days`, at most `limit`; returns how many. */
export async function pruneDelivered(db: Db, days: number, limit: number): Promise<number> {
  const r = await sql`
    DELETE FROM webhook_deliveries WHERE id IN (
      SELECT id FROM webhook_deliveries
      WHERE delivered_at IS NOT NULL AND delivered_at < now() - make_interval(days => ${days})
      LIMIT ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
