// Webhooks to the municipalities' care-planning systems: what is sent, how a webhook's health reads,
// and the wire shapes of both. Pure: no I/O (the signing itself is platform/webhook-signature.ts, the
// sending services/webhooks/).
import { z } from 'zod';
import { textProblem } from './storable.js';
import { dispatchView } from './views.js';

/** The request headers of every delivery (HTTP header names are case-insensitive). */
export const WEBHOOK_HEADERS = {
  delivery: 'X-Responscenter-Delivery',
  timestamp: 'X-Responscenter-Timestamp',
  signature: 'X-Responscenter-Signature',
} as const;

/** The one event type so far. */
export const DISPATCH_CHANGED = 'dispatch.changed';

/** What each delivery POSTs: one dispatch change. */
export const webhookEvent = z.object({
  deliveryId: z.uuid().describe('Fixed when the change is committed and the same on every attempt: de-duplicate on it'),
  type: z.literal(DISPATCH_CHANGED),
  municipality: z.string(),
  version: z
    .number()
    .int()
    .min(1)
    .describe(
      "The dispatch's change number: 1 when requested, one more with each change. Deliveries may arrive out of order: keep the highest version of each dispatch",
    ),
  dispatch: dispatchView.describe('The dispatch as this change left it'),
});
export type WebhookEvent = z.infer<typeof webhookEvent>;

/**
 * The text the signature covers: the attempt's timestamp (Unix seconds), a full stop, and the body
 * exactly as sent. Signing the timestamp with the body lets a receiver refuse an old request replayed.
 */
export const signedText = (timestampSeconds: number, body: string) => `${timestampSeconds}.${body}`;

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL = 2048;
/** The shared secret: 32–256 visible ASCII characters, so every receiver's HMAC library reads it alike. */
export const WEBHOOK_SECRET = { min: 32, max: 256, pattern: /^[\x21-\x7e]+$/ } as const;

/**
 * Why `url` cannot be a webhook's address, or undefined when it can: an absolute http or https URL
 * with a host and no user name or password (those would be sent in clear with every request and shown
 * wherever the URL is; the signature authenticates instead), storable as text.
 */
export function webhookUrlProblem(url: string): string | undefined {
  const stored = textProblem(url);
  if (stored) return stored;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
  if (!u.hostname) return 'must name a host';
  if (u.username || u.password) return 'must not carry a user name or password';
  return undefined;
}

export const WEBHOOK_STATUSES = ['delivered', 'failing', 'pending', 'none'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** What the stored deliveries of one municipality say (db/webhooks.ts). */
export type WebhookHealthFacts = {
  registered: boolean;
  /** Deliveries not yet acknowledged. */
  waiting: number;
  /** The first failed attempt of a delivery still waiting; null while none of them has failed. */
  failingSince: Date | null;
  lastDeliveredAt: Date | null;
};

/**
 * none: no webhook. failing: a delivery still waiting has failed at least once (a webhook stays
 * failing until every delivery that failed is acknowledged, so a receiver refusing one delivery for
 * good is not hidden by others getting through). pending: deliveries wait but none has failed yet, or
 * nothing was delivered yet. delivered: nothing waits and the last delivery was acknowledged.
 */
export function webhookStatus(f: WebhookHealthFacts): WebhookStatus {
  if (!f.registered) return 'none';
  if (f.failingSince !== null) return 'failing';
  if (f.waiting > 0 || f.lastDeliveredAt === null) return 'pending';
  return 'delivered';
}

/** A webhook failing for at least `alertAfterSeconds` alerts the operators. */
export const webhookAlert = (failingForSeconds: number | null, alertAfterSeconds: number): boolean =>
  failingForSeconds !== null && failingForSeconds >= alertAfterSeconds;

export const DELIVERY_STATUSES = ['delivered', 'failing', 'pending'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One delivery: acknowledged, waiting after a failed attempt, or waiting for its first attempt. */
export const deliveryStatus = (d: { deliveredAt: Date | null; firstFailedAt: Date | null }): DeliveryStatus =>
  d.deliveredAt !== null ? 'delivered' : d.firstFailedAt !== null ? 'failing' : 'pending';

/** A municipality's webhook as the console shows it: never its URL's path or its secret. */
export const webhookView = z.object({
  municipality: z.string(),
  status: z.enum(WEBHOOK_STATUSES),
  host: z.string().nullable().describe("The host of the webhook's URL; null without a webhook"),
  lastDeliveredAt: z.string().nullable(),
  failingSince: z
    .string()
    .nullable()
    .describe('The first failed attempt of a delivery that is still not acknowledged; null when none failed'),
  pending: z.number().int().describe('Deliveries not yet acknowledged'),
  lastError: z
    .string()
    .nullable()
    .describe('Why the latest failed attempt of a waiting delivery failed (an HTTP status or a network error)'),
  alert: z.boolean().describe('Failing for at least WEBHOOK_ALERT_AFTER_SECONDS: the operators should act'),
});
export type WebhookView = z.infer<typeof webhookView>;

/** A dispatch's delivery to its municipality's webhook: that of its latest change. */
export const dispatchDelivery = z.object({
  status: z.enum(DELIVERY_STATUSES),
  version: z.number().int().describe('The change delivered (or being delivered)'),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
export type DispatchDelivery = z.infer<typeof dispatchDelivery>;
