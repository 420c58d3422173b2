// Wire shapes of planned work: schedules and consent to night supervision, as the console serves and
// takes them and as the registry import takes them. One zod schema each (validation, types, OpenAPI).
import { z } from 'zod';
import { CARE_KINDS, DEFAULT_WINDOW_MINUTES, LOCAL_DATE, TIME_OF_DAY } from './planned.js';
import { storableText } from './storable.js';

/** A real calendar date 'YYYY-MM-DD' (2026-02-30 is refused, as Postgres would refuse it). */
export const localDate = z
  .string()
  .regex(LOCAL_DATE, 'a date YYYY-MM-DD')
  .refine((d) => {
    const ms = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === d;
  }, 'no such date')
  .refine((d) => d >= '2000-01-01' && d <= '2999-12-31', 'a date between 2000 and 2999');

export const scheduleId = storableText(1, 64).regex(/^[^\s/?#]+$/, 'no spaces, slashes, ? or #');

/** What a schedule says; the kind's default window when none is given. */
export const scheduleFields = z
  .object({
    kind: z.enum(CARE_KINDS).describe('planned_call, or night_check (needs consent on record)'),
    times: z
      .array(z.string().regex(TIME_OF_DAY, "a local time of day 'HH:MM' (00:00–23:59)"))
      .min(1)
      .max(48)
      .refine((t) => new Set(t).size === t.length, 'each time once')
      .describe(
        "Local times of day in Europe/Copenhagen, 'HH:MM'. A time the spring-forward night skips (02:30) is due an hour later by the clock (03:30, the same instant as 01:30 + 1 h); a time the autumn night repeats is due once, the first time",
      ),
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .max(7)
      .refine((d) => new Set(d).size === d.length, 'each day once')
      .default([1, 2, 3, 4, 5, 6, 7])
      .describe('ISO weekdays of the due time’s local date, 1 Monday … 7 Sunday; every day by default'),
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(240)
      .optional()
      .describe(
        `Minutes from the due time within which the item must be claimed, else it escalates; it may cross midnight. Default ${DEFAULT_WINDOW_MINUTES.planned_call} for a planned call, ${DEFAULT_WINDOW_MINUTES.night_check} for a night check`,
      ),
    activeFrom: localDate.optional().describe('First local date (inclusive); today by default'),
    activeTo: localDate.nullable().default(null).describe('Last local date (inclusive); null: until further notice'),
    note: storableText(0, 500).default('').describe('For the operators, e.g. what to ask; no care details needed'),
  })
  .refine((s) => s.activeTo === null || s.activeFrom === undefined || s.activeTo >= s.activeFrom, {
    message: 'activeTo is before activeFrom',
    path: ['activeTo'],
  });
export type ScheduleFields = z.output<typeof scheduleFields>;

export const scheduleView = z.object({
  id: z.string(),
  citizenId: z.string(),
  municipality: z.string(),
  kind: z.enum(CARE_KINDS),
  times: z.array(z.string()),
  days: z.array(z.number().int()),
  windowMinutes: z.number().int(),
  activeFrom: z.string(),
  activeTo: z.string().nullable(),
  note: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleView>;

export const consentFields = z
  .object({
    givenBy: z.enum(['citizen', 'representative']).describe('The citizen, or a named representative'),
    representativeName: storableText(1, 200)
      .regex(/\S/, 'a name')
      .optional()
      .describe('Required when givenBy is representative, refused otherwise'),
    givenAt: z.iso
      .datetime({ offset: true })
      .refine((t) => {
        const ms = Date.parse(t);
        return ms >= Date.UTC(2000, 0, 1) && ms <= Date.now() + 86_400_000;
      }, 'a time since 2000 and not in the future')
      .optional()
      .describe('When consent was given (RFC 3339); now by default'),
  })
  .refine((c) => (c.givenBy === 'representative') === (c.representativeName !== undefined), {
    message: 'representativeName goes with givenBy representative, and only with it',
    path: ['representativeName'],
  });
export type ConsentFields = z.output<typeof consentFields>;

export const consentView = z.object({
  id: z.string(),
  citizenId: z.string(),
  municipality: z.string(),
  givenBy: z.enum(['citizen', 'representative']),
  representativeName: z.string().nullable(),
  givenAt: z.string(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  withdrawnAt: z.string().nullable(),
  withdrawnBy: z.string().nullable(),
  inForce: z.boolean(),
});
export type ConsentView = z.infer<typeof consentView>;

const count = z.number().int().min(0);
const plannedCountsView = z.object({
  total: count.describe('Due in the month (by the local date of the due time), cancelled ones left out'),
  onTime: count.describe('Settled, the centre acting first (claim or device check-in) within the window'),
  late: count.describe('Settled, the centre acting first after the window (it escalated)'),
  missed: count.describe('Not reached / not seen after the last retry (a dispatch was requested)'),
  open: count.describe('Due and not settled yet'),
  dispatched: count.describe('Ended in a dispatch: needs help with a dispatch, or missed'),
});
/** A month's planned work in the statistics (additive field of a month row). */
export const plannedWorkView = z
  .object({ planned_call: plannedCountsView, night_check: plannedCountsView })
  .describe(
    'Planned calls and night checks due in the month, each counted once by where it ended (additive; computed from the occurrences; a frozen report keeps them as they stood when it was frozen, and has none when frozen before reports kept them)',
  );
