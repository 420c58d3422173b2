// What "open" means in SQL: one fragment per entity, used by every query that asks (the console's
// lists, the live feed's catch-up, incident grouping at accept, a planner's access to a citizen card).
// The statuses themselves are defined in domain/ (OPEN_ALARM_STATUSES, OPEN_DISPATCH_STATUSES).
import { sql, type RawBuilder } from 'kysely';
import { OPEN_DISPATCH_STATUSES } from '../domain/dispatch.js';
import type { AlarmStatus, OpenAlarmStatus } from '../domain/events.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The one status an alarm leaves the open ones for; fails to compile when domain/events.ts adds another. */
const RESOLVED = 'resolved' satisfies AlarmStatus;
const _onlyResolvedIsClosed: Same<Exclude<AlarmStatus, OpenAlarmStatus>, typeof RESOLVED> = true;

/** A status: a column reference such as 'a.status', or an expression (a view's `payload->>'status'`). */
type Status = string | RawBuilder<unknown>;
const expr = (status: Status) => (typeof status === 'string' ? sql.ref(status) : status);

/**
 * The alarm at `status` (a view's `payload->>'status'`, or a column reference such as 'a.status') is
 * open, i.e. its status is in OPEN_ALARM_STATUSES. Written as `status <> 'resolved'`, which selects the
 * same rows because the CHECK constraint on alarms.status admits only ALARM_STATUSES. A query of the
 * `alarms` table that should use a partial index says `alarmRow(alias).isOpen` instead, the index's own
 * predicate: Postgres uses a partial index only when it can prove that the query's predicate implies
 * the index's, and it knows nothing of the CHECK that ties the status to the timestamps.
 */
export const alarmIsOpen = (status: Status) => sql<boolean>`${expr(status)} <> ${sql.lit(RESOLVED)}`;

/**
 * The same three states read from a row of `alarms` (`a` its alias), in the words of the partial indexes
 * that serve them (migrations/0017). They name the timestamps a decision sets together with the status,
 * never the status itself: triage changes the status (received → triaged) but no timestamp here, so its
 * UPDATE touches no column an index refers to and stays on the row's page (a HOT update). The CHECK
 * alarms_status_times keeps them equivalent to the status: received and triaged have neither
 * timestamp, claimed has claimed_at only, resolved has resolved_at.
 */
export const alarmRow = (alias: string) => {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  return {
    /** Not resolved (alarms_open, alarms_device_open). */
    isOpen: sql<boolean>`${col('resolved_at')} IS NULL`,
    /** Received or triaged: waiting for an operator (alarms_answer_due). */
    isWaiting: sql<boolean>`${col('claimed_at')} IS NULL AND ${col('resolved_at')} IS NULL`,
    /** Claimed and not resolved (alarms_resolution_due). */
    isClaimed: sql<boolean>`${col('claimed_at')} IS NOT NULL AND ${col('resolved_at')} IS NULL`,
  };
};

/** The dispatch at `status` (a column reference such as 'd.status') is open: in OPEN_DISPATCH_STATUSES. */
export const dispatchIsOpen = (status: Status) =>
  sql<boolean>`${expr(status)} = ANY(${[...OPEN_DISPATCH_STATUSES]}::text[])`;
