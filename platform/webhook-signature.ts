// The signature of a webhook delivery: HMAC-SHA256 with the municipality's shared secret over
// "<timestamp>.<body>" (domain/webhooks.ts, signedText), sent as `sha256=<lowercase hex>`. README
// ("Webhooks") shows a receiver how to check it.
import { createHmac } from 'node:crypto';
import { signedText } from '../domain/webhooks.js';

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(signedText(timestampSeconds, body)).digest('hex')}`;
}
