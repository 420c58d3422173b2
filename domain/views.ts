// Wire shapes the console serves (contract: "Alarm view", "Dispatch view", "Live feed"). One zod schema
// each: the source of validation, TypeScript types and OpenAPI.
import { z } from 'zod';
import { ALARM_ESCALATION_REASONS } from './escalation.js';
import { ALARM_STATUSES, EVENT_TYPES, TRIAGE_CLASSES } from './events.js';
import { MAINTENANCE_KINDS } from './maintenance.js';
import { REASON_KEYS, type ReasonKey } from './triage-reasons.js';
import { STORED_CARE_RESULTS } from './planned.js';

export const DISPATCH_STATUSES = ['requested', 'accepted', 'en_route', 'arrived', 'completed', 'cancelled'] as const;
export type DispatchStatus = (typeof DISPATCH_STATUSES)[number];

const classProbabilities = z.object({
  false_alarm: z.number(),
  phone_resolvable: z.number(),
  dispatch: z.number(),
});

export const triageView = z.object({
  class: z.enum(TRIAGE_CLASSES),
  priority: z.number().int().min(1).max(5),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()).describe('The reasons in English words, one per `reasonKeys` entry'),
  triagedAt: z.string(),
  /** The reasons as keys with parameters, for a console to put in its own words (additive). */
  reasonKeys: z
    .array(
      z.object({
        key: z.enum(REASON_KEYS as [ReasonKey, ...ReasonKey[]]),
        params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      }),
    )
    .optional()
    .describe(
      'The reasons as keys of the triage reason catalogue with their parameters, in the order of `reasons`; absent on alarms triaged before keys were kept',
    ),
  /** What operators' earlier decisions contributed (additive). */
  learning: z
    .object({
      predicted: z.enum(TRIAGE_CLASSES).describe('The class the decisions predict'),
      probabilities: classProbabilities,
      prior: z
        .enum(['municipality', 'global', 'base'])
        .describe(
          "Where the citizen's prediction starts from: the municipality's decisions, the whole centre's, or the built-in mix",
        ),
      evidence: z.number().min(0).describe("The citizen's own decisions, decayed (a decision 90 days old counts half)"),
      confidence: z
        .number()
        .min(0)
        .max(1)
        .describe('How much evidence the prediction stands on, times how clear it is'),
      applied: z.boolean().describe('The prediction changed the advice'),
    })
    .nullable()
    .optional()
    .describe('Null for types that do not learn (only pendant presses do); absent on alarms triaged before'),
});

export const alarmView = z.object({
  id: z.string().uuid(),
  municipality: z.string(),
  deviceId: z.string(),
  citizenId: z.string().nullable(),
  unknownDevice: z.boolean(),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.string(),
  receivedAt: z.string(),
  status: z.enum(ALARM_STATUSES),
  triage: triageView.nullable(),
  incidentId: z.string().uuid(),
  escalated: z
    .boolean()
    .describe(
      'True once a deadline of the alarm has passed (see escalation), and true from then on: a claim or a decision does not turn it back',
    ),
  /**
   * The alarm's latest escalation (additive): `unanswered`, not claimed within its municipality's answer
   * target; `unresolved`, claimed but still open past the municipality's limit. Kept as history.
   */
  escalation: z
    .object({
      reason: z.enum(ALARM_ESCALATION_REASONS),
      at: z.string().describe('When the worker escalated it (shortly after the deadline)'),
    })
    .nullable()
    .optional()
    .describe(
      'The latest escalation, null when none. It stays after the claim or decision that settles it: an `unanswered` escalation asks for someone while the alarm is unclaimed (status received or triaged), an `unresolved` one while it is claimed. A claimed alarm left open then escalates `unresolved`. Technical events and tests have no answer target and escalate only `unresolved`',
    ),
  claimedBy: z.string().nullable(),
  claimedAt: z.string().nullable(),
  outcome: z.enum(TRIAGE_CLASSES).nullable(),
  resolvedAt: z.string().nullable(),
  /**
   * Planned work (additive): a planned call or night check the centre raised from a schedule is due at
   * `occurredAt` and must be claimed by `answerBy`, its window's end; it escalates `unanswered` then.
   */
  answerBy: z
    .string()
    .nullable()
    .optional()
    .describe(
      "A due item of planned work (planned_call, night_check raised from a schedule): its window's end, by which it must be claimed, else it escalates unanswered; its due time is occurredAt. Null for alarms, whose answer target is their municipality's",
    ),
  result: z
    .enum(STORED_CARE_RESULTS)
    .nullable()
    .optional()
    .describe(
      'A planned call’s or night check’s result (additive): reached_well, reached_needs_help, not_reached; seen_calm, seen_needs_help, not_seen; checked_in when a device check-in settled it. `outcome` keeps its meaning: dispatch when someone was sent, phone_resolvable otherwise',
    ),
});
export type AlarmView = z.infer<typeof alarmView>;

export const dispatchView = z.object({
  id: z.string().uuid(),
  alarmId: z.string().uuid(),
  municipality: z.string(),
  citizenId: z.string().nullable(),
  status: z.enum(DISPATCH_STATUSES),
  team: z.string().nullable(),
  requestedAt: z.string(),
  updatedAt: z.string(),
  /** The alarm's type, for the planner (additive; null on dispatches requested before it was recorded). */
  alarmType: z.enum(EVENT_TYPES).nullable().optional(),
  /** The operator's note with the decision to dispatch (additive). */
  note: z.string().nullable().optional(),
  /** Not accepted by home care within the municipality's limit: escalated back to the operators (additive). */
  escalation: z
    .object({ reason: z.literal('not_accepted'), at: z.string().describe('When the worker escalated it') })
    .nullable()
    .optional()
    .describe(
      'Set when home care has not accepted the dispatch within the municipality’s dispatchAcceptMinutes, null otherwise. It stays as history: it asks for the operators while the status is requested',
    ),
});
export type DispatchView = z.infer<typeof dispatchView>;

/** A municipality with its service levels and statistics settings (GET /v1/municipalities). */
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
  retentionMonths: z
    .number()
    .int()
    .describe(
      "Months after receipt that an alarm keeps its personal data; then it is pseudonymised (README, 'Audit and retention')",
    ),
  incidentWindowMinutes: z
    .number()
    .int()
    .optional()
    .describe('Triage: alarms of one unit this many minutes apart are one incident (additive)'),
  cancelWindowSeconds: z
    .number()
    .int()
    .optional()
    .describe('Triage: a cancel this many seconds after its press settles it as a false alarm (additive)'),
  selfClosingTypes: z
    .array(z.enum(EVENT_TYPES))
    .optional()
    .describe('Triage: types whose alarms triage resolves itself as false alarms (additive)'),
  plannedCallRetryMinutes: z
    .number()
    .int()
    .optional()
    .describe('A planned call not answered is tried again after this many minutes (additive)'),
  plannedCallRetries: z.number().int().optional().describe('Retries of a planned call before a dispatch (additive)'),
  nightCheckRetryMinutes: z
    .number()
    .int()
    .optional()
    .describe('A night check whose citizen was not seen is tried again after this many minutes (additive)'),
  nightCheckRetries: z
    .number()
    .int()
    .optional()
    .describe('Retries of a night check before the night patrol is dispatched (additive)'),
});
export type MunicipalityView = z.infer<typeof municipalityView>;

/** The citizen card (contract: `GET /v1/citizens/:id`): every read of it is audited. */
export const citizenCard = z.object({
  id: z.string(),
  municipality: z.string(),
  name: z.string(),
  address: z.string(),
  phone: z.string(),
  keySafe: z.string(),
  notes: z.string(),
  /**
   * The citizen's alarms of the last 30 days, newest first, at most 50 (additive): for roles that may
   * read alarms, not for home-care planners.
   */
  recentAlarms: z
    .array(
      z.object({
        id: z.string().uuid(),
        type: z.enum(EVENT_TYPES),
        receivedAt: z.string(),
        status: z.enum(ALARM_STATUSES),
        triageClass: z.enum(TRIAGE_CLASSES).nullable(),
        outcome: z.enum(TRIAGE_CLASSES).nullable(),
      }),
    )
    .optional(),
});
export type CitizenCard = z.infer<typeof citizenCard>;

/** One message on the live feed (GET /v1/live): a change of an alarm or dispatch, or the end of the catch-up. */
export const liveMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('alarm'), seq: z.number().int(), alarm: alarmView }),
  z.object({ type: z.literal('dispatch'), seq: z.number().int(), dispatch: dispatchView }),
  z.object({ type: z.literal('synced'), seq: z.number().int() }),
]);
export type LiveMessage = z.infer<typeof liveMessage>;

/** The contract's error body, for every 4xx and 5xx. */
export const errorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A unit's technical trouble to repair (GET /v1/maintenance; additive). */
export const maintenanceTaskView = z.object({
  id: z.string().uuid(),
  municipality: z.string(),
  deviceId: z.string().describe('The unit; for heartbeat_missed, the silent gateway'),
  citizenId: z.string().nullable(),
  kind: z.enum(MAINTENANCE_KINDS),
  openedBy: z.string().uuid().describe('The alarm that opened the task'),
  openedAt: z.string(),
  lastAlarmAt: z.string(),
  alarms: z.number().int().describe('Alarms of this kind from the unit while the task was open'),
  closedAt: z.string().nullable(),
  closedBy: z
    .string()
    .nullable()
    .describe("'restore' when the matching restore closed it (mains restored, the gateway heard again), else the user"),
  closedByAlarm: z.string().uuid().nullable().describe('The restore alarm that closed it'),
  note: z.string().nullable(),
});
export type MaintenanceTaskView = z.infer<typeof maintenanceTaskView>;
