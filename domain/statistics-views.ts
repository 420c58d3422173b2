// The wire shapes of the statistics (contract: "Monthly statistics (analysts)", with additive fields).
// One zod schema each: validation, TypeScript types, the OpenAPI at /docs and the shared export's JSON
// Schema all come from here. The figures themselves are derived in domain/statistics.ts.
import { z } from 'zod';
import { plannedWorkView } from './planned-views.js';

const count = z.number().int().min(0);
const rate = z
  .number()
  .min(0)
  .max(1)
  .nullable()
  .describe('A share between 0 and 1, four decimals; null when there is nothing to share out (e.g. no alarm resolved)');
const byClass = z.object({ false_alarm: count, phone_resolvable: count, dispatch: count });

export const monthRow = z.object({
  month: z.string().describe('YYYY-MM, a calendar month in Europe/Copenhagen time of receipt'),
  total: count.describe('Alarms received in the month, every type but technical events, tests and cancels'),
  outcomes: byClass.extend({ unresolved: count }).describe("The operators' decisions; unresolved: none yet"),
  falseAlarmRate: rate.describe('outcomes.false_alarm over resolved alarms'),
  phoneResolvableRate: rate.describe('outcomes.phone_resolvable over resolved alarms'),
  dispatchRate: rate.describe('outcomes.dispatch over resolved alarms'),
  answeredWithin60s: rate.describe(
    'Share of the month’s alarms claimed within 60 s of receipt (TSA target 97.5 %). Answer times leave out planned calls and night checks, which are measured against their window (plannedWork)',
  ),
  medianSecondsToAnswer: count
    .nullable()
    .describe(
      'Median seconds from receipt to claim (rounded up to whole seconds) of claimed alarms, planned calls and night checks left out',
    ),
  byType: z.record(z.string(), count).describe('Alarms by type (the counted types, zeros included)'),
  triageAgreement: rate.describe("Share of resolved alarms whose triage class equals the operator's outcome"),
  // Additive.
  emergencyCalls: count.describe('Nødkald: pendant, fall, smoke, epilepsy, bed_exit, door_open, wandering'),
  answered: count.describe('Alarms claimed by an operator, planned calls and night checks included'),
  answeredWithin180s: rate.describe('Share claimed within 180 s (TSA target 99 %)'),
  answeredWithinTarget: rate.describe("Share claimed within the municipality's answerTargetSeconds"),
  p90SecondsToAnswer: count.nullable().describe('90th percentile of seconds to answer (nearest rank)'),
  technical: z.record(z.string(), count).describe('Technical events by kind (not in total)'),
  tests: count.describe('Test transmissions (not in total)'),
  cancels: count.describe('Cancels from the device (not in total: the press they cancel carries the decision)'),
  byHour: z.array(count).length(24).describe('Alarms by local hour of receipt, 0–23 (for a heat map)'),
  byWeekdayHour: z
    .array(z.array(count).length(24))
    .length(7)
    .describe('Alarms by local weekday (Monday first) and hour: the hour × weekday heat map'),
  confusion: z
    .object({ false_alarm: byClass, phone_resolvable: byClass, dispatch: byClass, untriaged: byClass })
    .describe("Resolved alarms by triage class (key) and the operator's outcome (inner key)"),
  dispatches: count.describe('Dispatches requested for the month’s alarms'),
  arrivals: count.describe('Of those, dispatches that reported arrival'),
  medianMinutesToArrival: count
    .nullable()
    .describe('Median minutes from dispatch to arrival (rounded up to whole minutes)'),
  repeatCallers: count.describe('Citizens with more than 30 alarms in the month (counted, never named)'),
  corrections: count.describe("Corrections recorded for the month's alarms (decisions changed after the fact)"),
  effect: z
    .object({
      visitsAvoided: count.describe('Incidents of nødkald settled as false or by phone: a home-care visit each'),
      visitStaffHours: z.number(),
      visitDkk: z.number(),
      nightChecksRemote: count.describe('Incidents of night checks settled without a dispatch'),
      nightStaffHours: z.number(),
      nightDkk: z.number(),
      staffHours: z.number(),
      dkk: z.number(),
    })
    .describe("Effect and business case, with the municipality's minutes and cost per visit (see `assumptions`)"),
  plannedWork: plannedWorkView.optional(),
});
export type MonthRow = z.infer<typeof monthRow>;

export const statisticsSettingsView = z.object({
  answerTargetSeconds: count,
  visitMinutes: count,
  visitCostDkk: count,
  nightVisitMinutes: count,
  nightVisitCostDkk: count,
  falseAlarmTargetRate: z.number().nullable().describe("The municipality's target false-alarm rate; null: none set"),
});

export const municipalityStatistics = z.object({
  id: z.string(),
  name: z.string(),
  code: z.string(),
  settings: statisticsSettingsView.describe('As configured in the registry now'),
  assumptions: z.array(z.string()).describe('The assumptions behind `effect`, to print under it'),
  months: z.array(monthRow).describe('One row per month from `from` to `to`, empty months as zeros'),
});

export const TSA_TARGETS_VIEW = z.object({ answeredWithin60s: z.number(), answeredWithin180s: z.number() });

export const monthlyStatistics = z.object({
  municipality: z
    .string()
    .optional()
    .describe('The contract’s shape, when one municipality was asked for: its id, and its months below'),
  months: z.array(monthRow).optional(),
  from: z.string(),
  to: z.string(),
  municipalities: z.array(municipalityStatistics).describe('Each municipality asked for, side by side'),
  targets: TSA_TARGETS_VIEW.describe('UK TSA answer-time targets'),
});
export type MonthlyStatistics = z.infer<typeof monthlyStatistics>;

export const reportView = z.object({
  municipality: z.string(),
  name: z.string(),
  month: z.string(),
  frozenAt: z.string().describe('When the month was frozen (on the first day of the next month)'),
  settings: statisticsSettingsView.describe('The settings when it was frozen'),
  figures: monthRow.describe('The month as frozen'),
  live: monthRow.describe("The same month computed now, with today's settings"),
  correctionsSinceFrozen: count.describe('Decisions of the month corrected after it was frozen'),
  changed: z.boolean().describe('The live counts differ from the frozen ones'),
  assumptions: z.array(z.string()),
});

export const reportList = z.object({ reports: z.array(reportView) });

/** 2: answer times count nødkald and doses only (planned calls and night checks are measured by their window). */
export const SHARED_SCHEMA_VERSION = 2;

/** The shared, anonymised export: every taking-part municipality's months in one format. */
export const sharedStatistics = z.object({
  schemaVersion: z.literal(SHARED_SCHEMA_VERSION),
  generatedAt: z.string(),
  from: z.string(),
  to: z.string(),
  targets: TSA_TARGETS_VIEW,
  municipalities: z
    .array(municipalityStatistics)
    .describe('Every municipality that takes part (shareStatistics), by name; no personal data'),
});
