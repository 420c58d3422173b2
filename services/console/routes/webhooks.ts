// Webhooks to the municipalities' care-planning systems: administrators register them; operators,
// supervisors, planners and administrators see their health (the console's board shows it). The
// delivery itself runs in the worker (services/webhooks/).
import {
  deleteWebhook,
  municipalityExists,
  putWebhook,
  webhookHealth,
  type WebhookHealthRow,
} from '../../../db/webhooks.js';
import { z } from 'zod';
import { errorBody } from '../../../domain/views.js';
import { webhookAlert, webhookStatus, webhookView, type WebhookView } from '../../../domain/webhooks.js';
import { notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { inScope, listScope } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { municipalityParams, webhookList, webhookListQuery, webhookRegistration } from '../schemas.js';

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const hostOf = (url: string) => new URL(url).host;

export function toWebhookView(h: WebhookHealthRow, alertAfterSeconds: number): WebhookView {
  const registered = h.url !== null;
  return {
    municipality: h.municipality,
    status: webhookStatus({
      registered,
      waiting: h.waiting,
      failingSince: h.failingSince,
      lastDeliveredAt: h.lastDeliveredAt,
    }),
    host: h.url === null ? null : hostOf(h.url),
    lastDeliveredAt: iso(h.lastDeliveredAt),
    failingSince: iso(h.failingSince),
    pending: h.waiting,
    lastError: h.lastError,
    alert: registered && webhookAlert(h.failingForSeconds, alertAfterSeconds),
  };
}

/** How a receiver checks a delivery: the OpenAPI's words for what README's "Webhooks" section shows. */
const DELIVERY_DESCRIPTION = `Role admin. Registers (or replaces) the municipality's webhook. From then on every change of one of its dispatches (requested, each status or team change) is POSTed to \`url\` as JSON:

\`\`\`json
{"deliveryId": "<uuid>", "type": "dispatch.changed", "municipality": "aabenraa", "version": 2,
 "dispatch": {"id": "...", "alarmId": "...", "municipality": "aabenraa", "citizenId": "c-1042",
              "status": "accepted", "team": "...", "requestedAt": "...", "updatedAt": "..."}}
\`\`\`

Headers: \`Content-Type: application/json\`, \`X-Responscenter-Delivery: <deliveryId>\`, \`X-Responscenter-Timestamp: <Unix seconds of this attempt>\`, \`X-Responscenter-Signature: sha256=<hex>\`, where hex is the lowercase hex HMAC-SHA256, keyed with the secret, of the timestamp, a full stop and the raw body as received (\`<timestamp>.<body>\`). To verify: compute it over the raw bytes (before any JSON parsing), compare in constant time, and refuse a timestamp more than 5 minutes from your clock (a replay).

Acknowledge with any 2xx. Anything else (another status, no answer within 10 s, a redirect, which is not followed) is retried with exponential backoff (1 s, 2 s, 4 s, … 256 s), then again every 10 minutes, until acknowledged. So a delivery can arrive more than once, always with the same deliveryId: de-duplicate on it. Deliveries can arrive out of order: keep the highest \`version\` of each dispatch. Replacing the webhook keeps the deliveries still waiting (their next attempt goes to the new URL with the new secret); removing it drops them.

Only administrators set URLs: the worker will POST to whatever host a URL names, inside the centre's network too. Use https.`;

export const webhookRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const alertAfter = rt.config.webhookAlertAfterSeconds;
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

  app.get(
    '/v1/webhooks',
    {
      config: { allow: ['webhooks:read'], scope: SCOPE.municipalityFilter },
      schema: {
        tags: ['webhooks'],
        summary: "The health of your municipalities' webhooks",
        description: `Every municipality in your scope, with or without a webhook: none (no webhook), pending (deliveries waiting, none failed yet, or nothing delivered yet), delivered (nothing waiting), failing (a delivery still waiting has failed). \`alert\` is true once it has failed for WEBHOOK_ALERT_AFTER_SECONDS (now ${alertAfter} s). Never a URL's path or a secret.`,
        security,
        querystring: webhookListQuery,
        response: { 200: webhookList, ...errors },
      },
    },
    async (req) => {
      const rows = await webhookHealth(rt.db, listScope(userOf(req), req.query.municipality));
      return { webhooks: rows.map((h) => toWebhookView(h, alertAfter)) };
    },
  );

  /**
   * The municipality, if it exists and is in the user's scope; otherwise 404 as for one that does not
   * exist, audited as refused.
   */
  const visibleMunicipality = async (
    req: Parameters<typeof actorOf>[0] & Parameters<typeof userOf>[0],
    m: string,
    action: 'admin.webhook.set' | 'admin.webhook.delete',
  ) => {
    const exists = await municipalityExists(rt.db, m);
    if (!inScope(userOf(req), m) || !exists) {
      await audit(rt.db, actorOf(req), {
        action,
        municipality: exists ? m : null,
        outcome: 'refused',
        reason: exists ? 'scope' : 'not_found',
      });
      throw notFound('no such municipality');
    }
    return m;
  };

  app.put(
    '/v1/admin/webhooks/:municipality',
    {
      config: { allow: ['webhooks:write'], scope: SCOPE.municipalityInPath, audit: { action: 'admin.webhook.set' } },
      schema: {
        tags: ['webhooks', 'administration'],
        summary: "Register or replace a municipality's webhook (dispatch changes, signed)",
        description: DELIVERY_DESCRIPTION,
        security,
        params: municipalityParams,
        body: webhookRegistration,
        response: { 200: webhookView, ...errors },
      },
    },
    async (req) => {
      const m = await visibleMunicipality(req, req.params.municipality, 'admin.webhook.set');
      await putWebhook(rt.db, m, req.body);
      await audit(rt.db, actorOf(req), { action: 'admin.webhook.set', municipality: m, outcome: 'allowed' });
      req.log.info({ municipality: m, host: hostOf(req.body.url) }, 'webhook registered');
      const [health] = await webhookHealth(rt.db, [m]);
      return toWebhookView(health!, alertAfter);
    },
  );

  app.delete(
    '/v1/admin/webhooks/:municipality',
    {
      config: { allow: ['webhooks:write'], scope: SCOPE.municipalityInPath, audit: { action: 'admin.webhook.delete' } },
      schema: {
        tags: ['webhooks', 'administration'],
        summary: "Remove a municipality's webhook and the deliveries still waiting for it",
        description: 'Role admin. 204; 404 when the municipality is unknown, outside your scope or has no webhook.',
        security,
        params: municipalityParams,
        response: { 204: z.null().describe('Removed'), ...errors },
      },
    },
    async (req, reply) => {
      const m = await visibleMunicipality(req, req.params.municipality, 'admin.webhook.delete');
      const removed = await deleteWebhook(rt.db, m);
      await audit(rt.db, actorOf(req), {
        action: 'admin.webhook.delete',
        municipality: m,
        outcome: removed ? 'allowed' : 'refused',
        reason: removed ? null : 'not_found',
      });
      if (!removed) throw notFound('the municipality has no webhook');
      req.log.info({ municipality: m }, 'webhook removed');
      return reply.code(204).send(null);
    },
  );
};
