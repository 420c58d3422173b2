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
 * The alarm at `status` (a column reference such as 'a.status') is open, i.e. its status is in
 * OPEN_ALARM_STATUSES. Written as `status <> 'resolved'`, which selects the same rows because the CHECK
 * constraint on alarms.status admits only ALARM_STATUSES. Why not `= ANY(OPEN_ALARM_STATUSES)`: Postgres
 * uses a partial index only when it can prove that the query's predicate implies the index's, and the
 * partial indexes alarms_open and alarms_device_open (migrations/0001_initial.sql) say
 * `WHERE status <> 'resolved'`. The same text, as a literal rather than a parameter, is proved in every
 * plan; `status = ANY($1)` is not proved in a generic plan, which then scans the whole municipality's
 * alarms instead (EXPLAIN of the accept statement: alarms_municipality_received instead of
 * alarms_device_open).
 */
export const alarmIsOpen = (status: Status) => sql<boolean>`${expr(status)} <> ${sql.lit(RESOLVED)}`;

/** The dispatch at `status` (a column reference such as 'd.status') is open: in OPEN_DISPATCH_STATUSES. */
export const dispatchIsOpen = (status: Status) =>
  sql<boolean>`${expr(status)} = ANY(${[...OPEN_DISPATCH_STATUSES]}::text[])`;
