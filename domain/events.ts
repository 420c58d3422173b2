// Event types as gateways send them (contract: POST /v1/alarms), and what each means for urgency.
// Pure: no I/O. See shared domain primer, "The call types".

export const EVENT_TYPES = [
  'pendant',
  'fall',
  'smoke',
  'epilepsy',
  'bed_exit',
  'door_open',
  'wandering',
  'medication',
  'cancel',
  'low_battery',
  'mains_failure',
  'mains_restored',
  'tamper',
  'heartbeat_missed',
  'test',
  'planned_call',
  'night_check',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const VOICE_STATES = ['connected', 'no_answer', 'unavailable'] as const;
export type VoiceState = (typeof VOICE_STATES)[number];

export const TRIAGE_CLASSES = ['false_alarm', 'phone_resolvable', 'dispatch'] as const;
export type TriageClass = (typeof TRIAGE_CLASSES)[number];

export const ALARM_STATUSES = ['received', 'triaged', 'claimed', 'resolved'] as const;
export type AlarmStatus = (typeof ALARM_STATUSES)[number];
/** An alarm still waiting for an operator's decision: every status but `resolved`, the one final status. */
export const OPEN_ALARM_STATUSES = ['received', 'triaged', 'claimed'] as const satisfies readonly AlarmStatus[];
export type OpenAlarmStatus = (typeof OPEN_ALARM_STATUSES)[number];

/** Technical events: no emergency now, but a maintenance task (a missing heartbeat = an unprotected citizen). */
export const TECHNICAL_TYPES: ReadonlySet<EventType> = new Set([
  'low_battery',
  'mains_failure',
  'mains_restored',
  'tamper',
  'heartbeat_missed',
]);

/** Events about a person in possible danger: these must never wait behind a storm of technical traffic. */
export const EMERGENCY_TYPES: ReadonlySet<EventType> = new Set([
  'pendant',
  'fall',
  'smoke',
  'epilepsy',
  'wandering',
  'door_open',
  'bed_exit',
]);

/**
 * Urgency lanes: each is its own queue with its own workers, so a mains-failure storm
 * (every unit in a storm area reports at once) cannot delay a fall or a pendant press.
 */
export const LANES = ['urgent', 'routine', 'technical'] as const;
export type Lane = (typeof LANES)[number];

/** One of something per lane, made by `make`. */
export const perLane = <T>(make: (lane: Lane) => T): Record<Lane, T> =>
  Object.fromEntries(LANES.map((lane) => [lane, make(lane)])) as Record<Lane, T>;

export function laneFor(type: EventType): Lane {
  if (EMERGENCY_TYPES.has(type)) return 'urgent';
  if (TECHNICAL_TYPES.has(type) || type === 'test') return 'technical';
  return 'routine';
}

/** Events whose triage is "false_alarm" by nature (technical, test, cancel); analytics exclude them from answer times. */
export function isTechnicalOrTest(type: EventType): boolean {
  return TECHNICAL_TYPES.has(type) || type === 'test';
}
