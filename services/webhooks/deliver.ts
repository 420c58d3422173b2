// One attempt at one delivery: read it from Postgres, sign it, POST it, record what happened.
import { deliveryToSend, recordDelivered, recordFailedAttempt, type DeliveryToSend } from '../../db/webhook-outbox.js';
import { dispatchView } from '../../domain/views.js';
import { DISPATCH_CHANGED, WEBHOOK_HEADERS, type WebhookEvent } from '../../domain/webhooks.js';
import { signWebhook } from '../../platform/webhook-signature.js';
import type { Runtime } from '../../platform/runtime.js';

export type AttemptResult =
  | { outcome: 'delivered'; status: number }
  /** Acknowledged earlier (a job handed again after its delivery): nothing sent. */
  | { outcome: 'already_delivered' }
  /** The webhook was removed, and its waiting deliveries with it: nothing to send, nowhere to send it. */
  | { outcome: 'gone' }
  | { outcome: 'failed'; status: number | null; error: string; municipality: string; host: string };

/** The body, the same bytes on every attempt: the dispatch in its view's own field order. */
export function webhookBody(d: Pick<DeliveryToSend, 'id' | 'municipality_id' | 'version' | 'dispatch'>): string {
  const event: WebhookEvent = {
    deliveryId: d.id,
    type: DISPATCH_CHANGED,
    municipality: d.municipality_id,
    version: d.version,
    dispatch: dispatchView.parse(d.dispatch),
  };
  return JSON.stringify(event);
}

/** The host a URL names, for logs and the console (the path may carry a receiver's own token). */
export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
};

/** Why an attempt got no answer, in words fit for the console and a log: no URL, no body, no personal data. */
export function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const code = e?.cause?.code ?? e?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed before an answer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
  }
  if (code && /CERT|TLS|SSL|SIGNATURE/i.test(code)) return `TLS refused (${code})`;
  return `network error (${code ?? e?.cause?.name ?? e?.name ?? 'unknown'})`;
}

/**
 * One attempt. A 2xx acknowledges the delivery; anything else (another status, no answer within
 * `timeoutMs`, a redirect, which is not followed) is a failed attempt, recorded and left for a retry.
 * The response body is never read.
 */
export async function attemptDelivery(rt: Runtime, deliveryId: string, timeoutMs: number): Promise<AttemptResult> {
  const d = await deliveryToSend(rt.db, deliveryId);
  if (!d) return { outcome: 'gone' };
  if (d.delivered_at !== null) return { outcome: 'already_delivered' };
  const body = webhookBody(d);
  const timestamp = Math.floor(Date.now() / 1000);
  let status: number | null = null;
  let error: string;
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Responscenter-Webhook/1',
        [WEBHOOK_HEADERS.delivery]: d.id,
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(d.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    await res.body?.cancel().catch(() => {});
    if (status >= 200 && status < 300) {
      await recordDelivered(rt.db, d.id, status);
      return { outcome: 'delivered', status };
    }
    error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
  } catch (err) {
    error = describeFailure(err, timeoutMs);
  }
  await recordFailedAttempt(rt.db, d.id, { status, error });
  return { outcome: 'failed', status, error, municipality: d.municipality_id, host: hostOf(d.url) };
}
