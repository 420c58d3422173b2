// The console's wire shapes (contract: "Operators, planners, analysts → console"). One zod schema
// each: validation, TypeScript types and the OpenAPI at /docs all come from here.
import { z } from 'zod';
import { ROLES } from '../../domain/roles.js';
import { TRIAGE_CLASSES } from '../../domain/events.js';
import { alarmView, citizenCard, DISPATCH_STATUSES, dispatchView } from '../../domain/views.js';
import { MONTH_PATTERN } from '../../domain/statistics.js';
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
const municipality = z.string().min(1).max(64).describe('One municipality id; outside your scope the list is empty');
const id = z.string().min(1).max(64);

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
  note: z
    .string()
    .max(2000)
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
    .pipe(z.array(z.string().min(1).max(64)).max(200))
    .describe('Citizen ids, comma-separated, at most 200'),
});

export const citizenNames = z.object({
  citizens: z
    .array(z.object({ id: z.string(), municipality: z.string(), name: z.string(), address: z.string() }))
    .describe('Those of the asked-for citizens you may read; the others are left out'),
});

// ---- Municipalities ----

export const municipalityView = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  answerTargetSeconds: z.number().int().describe('An alarm not claimed this long after receipt is overdue'),
  unresolvedAfterMinutes: z.number().int().describe('A claimed alarm still open this long escalates'),
  dispatchAcceptMinutes: z.number().int().describe('A dispatch not accepted this long escalates to the operators'),
  visitMinutes: z.number().int().describe('Statistics, business case: staff minutes of a home-care visit'),
  visitCostDkk: z.number().int().describe('Statistics, business case: what a home-care visit costs, DKK'),
  nightVisitMinutes: z.number().int().describe('Statistics, business case: staff minutes of a night-patrol visit'),
  nightVisitCostDkk: z.number().int().describe('Statistics, business case: what a night-patrol visit costs, DKK'),
  falseAlarmTargetRate: z.number().nullable().describe("The municipality's target false-alarm rate (0–1); null: none"),
  shareStatistics: z.boolean().describe('Takes part in the shared, anonymised figures (GET /v1/stats/shared)'),
});

export const municipalityList = z.object({ municipalities: z.array(municipalityView) });

// ---- Statistics ----

const month = z.string().regex(MONTH_PATTERN, 'a month as YYYY-MM, e.g. 2026-01');
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

export const dispatchList = z.object({
  dispatches: z.array(dispatchView).describe('Newest first (by request)'),
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
