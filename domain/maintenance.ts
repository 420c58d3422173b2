// Technical alarms as work: which open a maintenance task for their unit, and which close one. Pure.
// (Primer, "The call types": technical events are no emergency for now, but a maintenance task; a
// missing heartbeat means an unprotected citizen.)
import type { EventType } from './events.js';

export const MAINTENANCE_KINDS = ['low_battery', 'mains_failure', 'tamper', 'heartbeat_missed'] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

export const MAINTENANCE_STATUSES = ['open', 'closed', 'all'] as const;

/** The kind of task an alarm of `type` opens (or adds to, while one is open), or null. */
export const maintenanceKindOf = (type: EventType): MaintenanceKind | null =>
  (MAINTENANCE_KINDS as readonly string[]).includes(type) ? (type as MaintenanceKind) : null;

/** The kind of task an alarm of `type` closes on its own unit: the restore of a mains failure. */
export const restoresKind = (type: EventType): MaintenanceKind | null =>
  type === 'mains_restored' ? 'mains_failure' : null;
