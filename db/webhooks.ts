// Webhooks as administrators register them and the console shows their health. The outbox itself is
// db/webhook-outbox.ts.
import { sql } from 'kysely';
import { deliveryStatus, type DispatchDelivery } from '../domain/webhooks.js';
import type { Db } from './connect.js';

export async function municipalityExists(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('municipalities').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/**
 * Register or replace a municipality's webhook. Deliveries still waiting go to the new address with
 * the new secret from their next attempt on; those whose round of attempts is over are offered to the
 * queue again at the relay's next run instead of after its usual wait.
 */
export async function putWebhook(
  db: Db,
  municipality: string,
  webhook: { url: string; secret: string },
): Promise<{ created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const row = await sql<{ created: boolean }>`
      INSERT INTO webhooks (municipality_id, url, secret) VALUES (${municipality}, ${webhook.url}, ${webhook.secret})
      ON CONFLICT (municipality_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = now()
      RETURNING (xmax = 0) AS created`.execute(trx);
    await trx
      .updateTable('webhook_deliveries')
      .set({ relayed_at: null })
      .where('municipality_id', '=', municipality)
      .where('delivered_at', 'is', null)
      .execute();
    return { created: row.rows[0]!.created };
  });
}

/** Remove a municipality's webhook and the deliveries still waiting for it; false when it had none. */
export async function deleteWebhook(db: Db, municipality: string): Promise<boolean> {
  const r = await db.deleteFrom('webhooks').where('municipality_id', '=', municipality).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** What the stored deliveries say about a municipality's webhook (see domain/webhooks.ts, webhookStatus). */
export type WebhookHealthRow = {
  municipality: string;
  /** null: no webhook. */
  url: string | null;
  lastDeliveredAt: Date | null;
  waiting: number;
  failingSince: Date | null;
  /** Seconds since failingSince, by the database's clock. */
  failingForSeconds: number | null;
  lastError: string | null;
};

/**
 * The webhook health of every municipality in `municipalities` (null: all), with or without a
 * webhook, by id.
 */
export async function webhookHealth(db: Db, municipalities: readonly string[] | null): Promise<WebhookHealthRow[]> {
  if (municipalities !== null && municipalities.length === 0) return [];
  const scope = municipalities === null ? sql`true` : sql`m.id = ANY(${[...municipalities]}::text[])`;
  const r = await sql<{
    municipality: string;
    url: string | null;
    last_delivered_at: Date | null;
    waiting: string | number;
    failing_since: Date | null;
    failing_for_seconds: number | null;
    last_error: string | null;
  }>`
    SELECT m.id AS municipality, w.url, w.last_delivered_at, s.waiting, s.failing_since,
           extract(epoch FROM now() - s.failing_since)::float8 AS failing_for_seconds, e.last_error
    FROM municipalities m
    LEFT JOIN webhooks w ON w.municipality_id = m.id
    CROSS JOIN LATERAL (
      SELECT count(*) AS waiting, min(first_failed_at) AS failing_since
      FROM webhook_deliveries WHERE municipality_id = m.id AND delivered_at IS NULL
    ) s
    LEFT JOIN LATERAL (
      SELECT last_error FROM webhook_deliveries
      WHERE municipality_id = m.id AND delivered_at IS NULL AND last_error IS NOT NULL
      ORDER BY last_attempt_at DESC LIMIT 1
    ) e ON true
    WHERE ${scope}
    ORDER BY m.id`.execute(db);
  return r.rows.map((x) => ({
    municipality: x.municipality,
    url: x.url,
    lastDeliveredAt: x.last_delivered_at,
    waiting: Number(x.waiting),
    failingSince: x.failing_since,
    failingForSeconds: x.failing_for_seconds,
    lastError: x.last_error,
  }));
}

/** Each dispatch's delivery of its latest change, for the dispatches that have one. */
export async function dispatchDeliveries(
  db: Db,
  dispatchIds: readonly string[],
): Promise<Map<string, DispatchDelivery>> {
  if (dispatchIds.length === 0) return new Map();
  const r = await sql<{
    dispatch_id: string;
    version: number;
    attempts: number;
    delivered_at: Date | null;
    first_failed_at: Date | null;
    last_error: string | null;
  }>`
    SELECT DISTINCT ON (dispatch_id) dispatch_id, version, attempts, delivered_at, first_failed_at, last_error
    FROM webhook_deliveries WHERE dispatch_id = ANY(${[...dispatchIds]}::uuid[])
    ORDER BY dispatch_id, version DESC`.execute(db);
  return new Map(
    r.rows.map((x) => [
      x.dispatch_id,
      {
        status: deliveryStatus({ deliveredAt: x.delivered_at, firstFailedAt: x.first_failed_at }),
        version: x.version,
        attempts: x.attempts,
        lastError: x.delivered_at === null ? x.last_error : null,
        deliveredAt: x.delivered_at === null ? null : new Date(x.delivered_at).toISOString(),
      },
    ]),
  );
}
