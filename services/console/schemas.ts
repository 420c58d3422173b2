// The console's wire shapes (contract: "Operators, planners, analysts → console"). One zod schema
// each: validation, TypeScript types and the OpenAPI at /docs all come from here.
import { z } from 'zod';
import { ROLES } from '../../domain/roles.js';
import { TRIAGE_CLASSES } from '../../domain/events.js';
import { textProblem } from '../../domain/storable.js';
import { alarmView, citizenCard, DISPATCH_STATUSES, dispatchView } from '../../domain/views.js';
import {
  dispatchDelivery,
  MAX_WEBHOOK_URL,
  WEBHOOK_SECRET,
  webhookUrlProblem,
  webhookView,
} from '../../domain/webhooks.js';
import { decodeCursor } from './cursor.js';

/** A query parameter sent empty (`?municipality=`) counts as not sent. */
const optionalParam = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const limit = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.coerce.number().int().min(1).max(1000).default(100).describe('At most 1000; default 100'),
);
const cursor = z
  .string()
  .max(200)
  .refine((s) => decodeCursor(s) !== null, 'not a cursor from this API: pass the `next` of the previous page')
  .describe('The `next` of the previous page');
/** A zod refinement from a check that names the problem, if any. */
const refusing = (problemOf: (s: string) => string | undefined) => (s: string, ctx: z.RefinementCtx) => {
  const problem = problemOf(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};
/** A municipality id as sent: text the database can compare (domain/storable.ts). */
const municipalityId = z.string().min(1).max(64).superRefine(refusing(textProblem));
const municipality = municipalityId.describe('One municipality id; outside your scope the list is empty');

export const idParams = z.object({ id: z.string().max(200) });

// ---- Authentication ----

export const loginRequest = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export const userView = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  municipalities: z.union([z.literal('*'), z.array(z.string())]).describe('Municipality ids, or "*" for all'),
});

export const loginResponse = z.object({
  token: z
    .string()
    .describe('Send as `Authorization: Bearer <token>`; the same value is set as the HttpOnly cookie rc_session'),
  expiresAt: z.string(),
  user: userView,
});

export const sessionView = z.object({ user: userView, expiresAt: z.string() });

// ---- Alarms ----

export const alarmListQuery = z.object({
  status: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['open', 'resolved', 'all']).default('open').describe('open = received, triaged or claimed (default)'),
  ),
  municipality: optionalParam(municipality),
  limit,
  before: optionalParam(cursor),
});

export const alarmList = z.object({
  alarms: z.array(alarmView).describe('Newest first (by receipt)'),
  next: z.string().nullable().describe('Pass as `before` for the next page; null on the last page'),
});

export { citizenCard, type CitizenCard } from '../../domain/views.js';

export const alarmDetail = alarmView.extend({
  citizen: citizenCard
    .nullable()
    .optional()
    .describe("The citizen's card (audited), for roles that may read it; null for an unknown device"),
});

export const resolveRequest = z.object({
  outcome: z.enum(TRIAGE_CLASSES),
  note: z.string().max(2000).optional().describe('Free text kept with the alarm; never sent on the live feed'),
});

export const resolvedAlarm = alarmView.extend({
  dispatch: dispatchView.optional().describe('The dispatch requested, when the outcome is dispatch'),
});

export const citizenQuery = z.object({
  alarm: optionalParam(z.uuid().describe('The alarm being handled, recorded in the audit as the reason for the read')),
});

// ---- Dispatches ----

export const dispatchListQuery = z.object({
  status: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .enum([...DISPATCH_STATUSES, 'open', 'all'])
      .default('open')
      .describe('open = requested, accepted, en_route or arrived (default); all; or one status'),
  ),
  municipality: optionalParam(municipality),
  limit,
  before: optionalParam(cursor),
});

/** A dispatch as GET /v1/dispatches and GET /v1/dispatches/:id answer it: the view and its webhook delivery. */
export const dispatchWithDelivery = dispatchView.extend({
  webhook: dispatchDelivery
    .nullable()
    .optional()
    .describe(
      "The delivery of the dispatch's latest change to its municipality's webhook: delivered, failing (an attempt failed; it is retried) or pending; null when there is none (no webhook)",
    ),
});

export const dispatchList = z.object({
  dispatches: z.array(dispatchWithDelivery).describe('Newest first (by request)'),
  next: z.string().nullable().describe('Pass as `before` for the next page; null on the last page'),
});

export const dispatchStatusRequest = z.object({
  status: z.enum(DISPATCH_STATUSES),
  team: z
    .string()
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .describe('The team sent; omitted keeps the current one, null clears it'),
});

// ---- Administration ----

const counts = z.object({ created: z.number().int(), updated: z.number().int() });
export const importResult = z.object({
  municipalities: counts,
  gateways: counts,
  citizens: counts,
  devices: counts,
  users: counts,
});

// ---- Webhooks ----

export const municipalityParams = z.object({ municipality: municipalityId });

export const webhookListQuery = z.object({ municipality: optionalParam(municipality) });

export const webhookList = z.object({
  webhooks: z.array(webhookView).describe('Every municipality in your scope, by id, with or without a webhook'),
});

export const webhookRegistration = z.object({
  url: z
    .string()
    .max(MAX_WEBHOOK_URL)
    .superRefine(refusing(webhookUrlProblem))
    .transform((u) => new URL(u).href)
    .describe(
      'Where each dispatch change is POSTed: an http or https URL (https in production), no user name or password',
    ),
  secret: z
    .string()
    .min(WEBHOOK_SECRET.min)
    .max(WEBHOOK_SECRET.max)
    .regex(WEBHOOK_SECRET.pattern, 'must be visible ASCII characters only (no spaces)')
    .describe(
      'The HMAC-SHA256 key shared with the receiver: 32–256 visible ASCII characters (random, e.g. `openssl rand -hex 32`). Stored as given, since signing needs it; never shown again',
    ),
});

// ---- Live feed ----

export const liveQuery = z.object({
  since: optionalParam(
    z.coerce
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe(
        'Replay every change after this seq (the highest seq you have seen); omit for a snapshot of what is open',
      ),
  ),
});

/** The live feed's messages are a domain view (domain/views.ts); re-exported for the route's OpenAPI. */
export { liveMessage, type LiveMessage } from '../../domain/views.js';
