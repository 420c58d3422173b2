// The console's wire shapes (contract: "Operators, planners, analysts → console"). One zod schema
// each: validation, TypeScript types and the OpenAPI at /docs all come from here.
import { z } from 'zod';
import {
  ANSWERED_WITHIN_SECONDS,
  MIN_STAFF_ONLINE,
  STAFF_ROLES,
  UNTRIAGED_BEHIND_SECONDS,
} from '../../domain/centre.js';
import { ROLES } from '../../domain/roles.js';
import { WORKER_PRESENCE } from '../../platform/presence.js';
import { TRIAGE_CLASSES } from '../../domain/events.js';
import { CARE_RESULTS, FOLLOW_UPS } from '../../domain/planned.js';
import { refusing } from '../../domain/storable.js';
import {
  alarmView,
  citizenCard,
  DISPATCH_STATUSES,
  dispatchView,
  maintenanceTaskView,
  municipalityView,
} from '../../domain/views.js';
import { MAINTENANCE_STATUSES } from '../../domain/maintenance.js';
import { triageSettingsFields } from '../admin/registry.js';
import { storableText } from '../../domain/storable.js';
import {
  dispatchDelivery,
  MAX_WEBHOOK_URL,
  WEBHOOK_SECRET,
  webhookUrlProblem,
  webhookView,
} from '../../domain/webhooks.js';
import { EARLIEST_MONTH, MONTH_PATTERN } from '../../domain/statistics.js';
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
/** A municipality id as sent: text the database can compare (domain/storable.ts). */
const municipalityId = storableText(1, 64);
const municipality = municipalityId.describe('One municipality id; outside your scope the list is empty');
const id = storableText(1, 64);

export const idParams = z.object({ id: storableText(1, 200) });

// ---- Authentication ----

export const loginRequest = z.object({ username: storableText(1, 64), password: z.string().min(1).max(256) });

export const userView = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  municipalities: z.union([z.literal('*'), z.array(z.string())]).describe('Municipality ids, or "*" for all'),
});

export const loginResponse = z.object({
  token: z
    .string()
    .describe(
      'Send as `Authorization: Bearer <token>`; the same value is set as the HttpOnly session cookie (`__Host-rc_session`)',
    ),
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
  outcome: z
    .enum([...TRIAGE_CLASSES, ...CARE_RESULTS])
    .describe(
      'One of the three outcomes (any alarm), or, additively, the result of a planned call (reached_well, reached_needs_help, not_reached) or a night check (seen_calm, seen_needs_help, not_seen); a result that does not fit the alarm’s type is refused 400. A result decides the stored outcome: dispatch when someone is sent (needs help with followUp dispatch, or not reached/seen after the last retry), phone_resolvable otherwise; not reached/seen before the last retry plans the next attempt',
    ),
  followUp: z
    .enum(FOLLOW_UPS)
    .optional()
    .describe('With reached_needs_help or seen_needs_help only: dispatch (the default) or a phone follow-up'),
  note: storableText(0, 2000)
    .optional()
    .describe(
      "Free text kept with the alarm. With outcome dispatch it is home care's brief: it is copied to the dispatch and sent with it, on the live feed too",
    ),
});

export const resolvedAlarm = alarmView.extend({
  dispatch: dispatchView.optional().describe('The dispatch requested, when the outcome is dispatch'),
});

export const citizenQuery = z.object({
  alarm: optionalParam(z.uuid().describe('The alarm being handled, recorded in the audit as the reason for the read')),
});

export const citizenNamesQuery = z.object({
  ids: z
    .string()
    .min(1)
    .max(200 * 65)
    .transform((v) => [...new Set(v.split(','))])
    .pipe(z.array(storableText(1, 64)).max(200))
    .describe('Citizen ids, comma-separated, at most 200'),
});

export const citizenNames = z.object({
  citizens: z
    .array(z.object({ id: z.string(), municipality: z.string(), name: z.string(), address: z.string() }))
    .describe('Those of the asked-for citizens you may read; the others are left out'),
});

// ---- Municipalities ----

export { municipalityView } from '../../domain/views.js';
export const municipalityList = z.object({ municipalities: z.array(municipalityView) });

// ---- Statistics ----

const month = z
  .string()
  .regex(MONTH_PATTERN, 'a month as YYYY-MM, e.g. 2026-01')
  .refine((m) => m >= EARLIEST_MONTH, `a month from ${EARLIEST_MONTH} on`);
const statsFormat = {
  format: optionalParam(z.enum(['json', 'csv']).describe('json (default) or csv; `Accept: text/csv` also gives CSV')),
  sep: optionalParam(
    z
      .enum(['comma', 'semicolon'])
      .describe(
        "CSV only: comma (default; '.' in decimals) or semicolon (';' between fields, ',' in decimals, with a byte-order mark: for Danish spreadsheets)",
      ),
  ),
};
const municipalities = optionalParam(
  z
    .string()
    .max(100 * 65)
    .transform((v) => (v === 'all' ? ('all' as const) : [...new Set(v.split(','))]))
    .pipe(z.union([z.literal('all'), z.array(id).min(1).max(100)]))
    .describe(
      'One municipality id, several separated by commas (side by side), or `all`; default all in your scope. One outside your scope is answered 404',
    ),
);

export const monthlyStatsQuery = z.object({
  municipality: municipalities,
  from: optionalParam(month.describe('First month, YYYY-MM; default 11 months before `to`')),
  to: optionalParam(month.describe('Last month, YYYY-MM; default the current month (Europe/Copenhagen)')),
  ...statsFormat,
});

export const reportsQuery = z.object({
  municipality: municipalities,
  month: optionalParam(month.describe('One month, YYYY-MM; default the last 12 months')),
  ...statsFormat,
});

export const reportPdfQuery = z.object({
  municipality: municipalities,
  month: month.describe('The month of the report, YYYY-MM'),
});

export const sharedStatsQuery = z.object({
  from: optionalParam(month.describe('First month, YYYY-MM; default 11 months before `to`')),
  to: optionalParam(month.describe('Last month, YYYY-MM; default the current month (Europe/Copenhagen)')),
  ...statsFormat,
});

export const correctionRequest = z.object({
  outcome: z.enum(TRIAGE_CLASSES).describe('What the alarm really was'),
  note: z.string().min(1).max(2000).describe('Why the decision is corrected (kept with the correction)'),
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
  team: storableText(1, 100)
    .nullable()
    .optional()
    .describe('The team sent; omitted keeps the current one, null clears it'),
});

// ---- The centre's status ----

const seconds = z.number().int();
const answerShare = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .describe(
    `Of the alarms received in the window (technical events and tests excluded, as in the monthly statistics), the share claimed within ${ANSWERED_WITHIN_SECONDS} s of receipt. An alarm younger than ${ANSWERED_WITHIN_SECONDS} s and not yet claimed is left out until its answer is known. null when there is none`,
  );

export const centreStatus = z.object({
  at: z.string().describe('When these figures were taken (the database clock)'),
  incomplete: z
    .boolean()
    .describe(
      'True when Redis could not be read: staffing, queue depth and workers are then unknown and shown as none (so warning and behind are true). The other figures come from Postgres and are complete',
    ),
  staffing: z.object({
    operatorsOnline: z
      .array(
        z.object({
          username: z.string(),
          role: z.enum(STAFF_ROLES),
          municipalities: z
            .union([z.literal('*'), z.array(z.string())])
            .describe('The municipalities of your scope this colleague covers; "*" only when you both cover all'),
        }),
      )
      .describe(
        'Operators and supervisors with the live feed open now (on any console instance) whose municipalities meet yours, by username',
      ),
    warning: z
      .boolean()
      .describe(
        `True when some municipality of your scope is covered by fewer than ${MIN_STAFF_ONLINE} operators or supervisors online (threshold ${MIN_STAFF_ONLINE}: one person alone on duty is not a responsible staffing)`,
      ),
  }),
  triage: z.object({
    untriaged: z.number().int().describe('Open alarms in your municipalities not yet triaged (status received)'),
    oldestUntriagedSeconds: seconds.nullable().describe('How long the oldest of them has waited; null when none'),
    queueDepth: z
      .number()
      .int()
      .describe(
        'Triage jobs not yet running, across the urgency lanes (waiting, or delayed for a retry); a job carries the alarms of one commit, up to 200. For the whole installation, not only your municipalities',
      ),
    workersOnline: z
      .number()
      .int()
      .describe(`Triage worker processes seen within the last ${WORKER_PRESENCE.ttlMs / 1000} s`),
    behind: z
      .boolean()
      .describe(
        `True when no worker has been seen for ${WORKER_PRESENCE.ttlMs / 1000} s, or the oldest untriaged alarm in your municipalities has waited longer than ${UNTRIAGED_BEHIND_SECONDS} s. Untriaged alarms are on the board all the same, and their deadlines run`,
      ),
  }),
  municipalities: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        waiting: z.number().int().describe('Open alarms nobody has claimed (received or triaged)'),
        longestWaitSeconds: seconds
          .nullable()
          .describe('How long the longest waiting of them has waited; null when none'),
        escalations: z
          .number()
          .int()
          .describe(
            'Escalations that still ask for someone: alarms escalated unanswered and still unclaimed, alarms escalated unresolved and still claimed, dispatches escalated not_accepted and still requested',
          ),
        operatorsOnline: z
          .number()
          .int()
          .describe('Operators and supervisors online covering this municipality (additive beside staffing)'),
        answeredWithin60s: z.object({
          lastHour: answerShare,
          today: answerShare.describe('Since midnight, Copenhagen time. ' + (answerShare.description ?? '')),
        }),
      }),
    )
    .describe('Your municipalities, by name'),
  silentGateways: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        lastHeartbeatAt: z
          .string()
          .nullable()
          .describe('The last heartbeat or accepted event; null when none since the gateway was registered'),
        heartbeatSeconds: z.number().int().describe('Its supervision interval (additive)'),
        silentSeconds: seconds.describe('Since its last sign of life (or its registration)'),
      }),
    )
    .describe(
      'Gateways serving one of your municipalities that have been silent longer than their heartbeatSeconds, the longest silent first',
    ),
});
export type CentreStatus = z.infer<typeof centreStatus>;

// ---- Administration ----

const counts = z.object({ created: z.number().int(), updated: z.number().int() });
export const importResult = z.object({
  municipalities: counts,
  gateways: counts,
  citizens: counts,
  devices: counts,
  users: counts,
  consents: counts
    .extend({ withdrawn: z.number().int().describe('Consents in force withdrawn (withdrawn: true)') })
    .describe(
      'Consent to night supervision recorded (a citizen with consent in force is left as it is), and withdrawn',
    ),
  schedules: counts,
  keys: z
    .array(z.object({ gateway: z.string(), keyId: z.string().uuid(), key: z.string() }))
    .describe('API keys generated for new gateways given without apiKey: shown only here, stored only as a hash'),
  warnings: z
    .array(z.string())
    .describe('What was accepted but is advised against (an apiKey chosen in the registry), or not reactivated'),
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

// ---- Maintenance tasks ----

export const maintenanceListQuery = z.object({
  status: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(MAINTENANCE_STATUSES).default('open').describe('open (default), closed or all'),
  ),
  municipality: optionalParam(municipality),
  limit,
});

export const maintenanceList = z.object({
  tasks: z.array(maintenanceTaskView).describe('Newest first (by opening), at most `limit`'),
});

export const maintenanceCloseRequest = z.object({
  note: optionalParam(storableText(1, 2000).describe('What was done (kept with the task)')),
});

// ---- A municipality's triage settings ----

const { incidentWindowMinutes, cancelWindowSeconds, selfClosingTypes } = triageSettingsFields;
export const triageSettingsRequest = z
  .object({
    answerTargetSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .optional()
      .describe('Seconds from receipt within which an alarm should be claimed; later it is overdue and escalates'),
    incidentWindowMinutes: incidentWindowMinutes.unwrap().optional(),
    cancelWindowSeconds: cancelWindowSeconds.unwrap().optional(),
    selfClosingTypes: selfClosingTypes.unwrap().optional(),
  })
  .strict()
  .refine(
    (b) => Object.keys(b).length > 0,
    'send at least one of answerTargetSeconds, incidentWindowMinutes, cancelWindowSeconds, selfClosingTypes',
  );
