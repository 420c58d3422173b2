// The first triage engine: rules with safety floors. Pure: no I/O, no clock (time comes in the input).
//
// Triage advises and orders the queue; the operator answers every real alarm and records the decision.
// Safety floors are applied last and can only raise urgency, never lower it, so any rule added later
// (the learning engine is its own module) cannot call a smoke alarm or a silent fall false.
import type { EventType, TriageClass, VoiceState } from './events.js';
import { EVENT_TYPES, isTechnicalOrTest, TECHNICAL_TYPES } from './events.js';
import { isNightHour } from './time.js';

export type TriageInput = {
  type: EventType;
  voice: VoiceState | null;
  unknownDevice: boolean;
  batteryPercent: number | null;
  occurredAt: Date;
  receivedAt: Date;
  /** Hour of day (0–23) when the event occurred, in the centre's local time (domain/time.ts `localHour`). */
  localHour: number;
  /**
   * Repeated presses are a signal, not noise: how many alarms of this alarm's incident (domain/incidents.ts:
   * the same device, municipality and lane within INCIDENT_WINDOW_MINUTES of each other) were received
   * before it, whatever their type or status. Counted in SQL by the statement that locks the alarm for
   * triage (db/triage.ts): alarms with the same incident_id and a strictly earlier received_at, so alarms
   * stored in one transaction (one received_at) do not count each other. Not counted (0) for the types in
   * REPEATS_DO_NOT_RAISE, whose advice it does not change: a sensor repeating itself thousands of times
   * would otherwise make every triage of its incident count all the earlier ones.
   */
  earlierInIncident: number;
  /**
   * The citizen cancelled this alarm on the device: a `cancel` event from the same gateway whose relatesTo
   * is this alarm's event id is stored. Read in SQL by the statement that locks the alarm for triage
   * (db/triage.ts); a cancel triaged after this alarm re-advises it (services/triage/triage-alarm.ts).
   */
  cancelled: boolean;
};

export type Triage = {
  class: TriageClass;
  /** 1 is the most urgent, 5 the least. */
  priority: 1 | 2 | 3 | 4 | 5;
  confidence: number;
  reasons: string[];
};

type Priority = Triage['priority'];

const CLASS_RANK: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 1, dispatch: 2 };

/** Repeated presses: 3 or more alarms of one device in one incident raise urgency (primer: "Repeat callers"). */
const REPEAT_THRESHOLD = 3;

/** An event that reaches us this late (a gateway's backlog flush) has already waited: raise its urgency. */
const LATE_AFTER_MS = 5 * 60_000;

function base(input: TriageInput): Triage {
  const { type, voice } = input;
  switch (type) {
    case 'smoke':
      return {
        class: 'dispatch',
        priority: 1,
        confidence: 0.97,
        reasons: ['smoke/heat/gas detector: dispatch at once, consider 112'],
      };
    case 'fall':
      if (voice === 'connected') {
        return {
          class: 'phone_resolvable',
          priority: 2,
          confidence: 0.6,
          reasons: ['fall detector with voice contact: speak to the citizen'],
        };
      }
      return { class: 'dispatch', priority: 1, confidence: 0.9, reasons: ['fall detector, no voice contact'] };
    case 'epilepsy':
      return { class: 'dispatch', priority: 1, confidence: 0.9, reasons: ['seizure sensor'] };
    case 'pendant':
      if (input.cancelled && voice !== 'no_answer') {
        return {
          class: 'false_alarm',
          priority: 5,
          confidence: 0.8,
          reasons: ['cancelled by the citizen on the device'],
        };
      }
      if (voice === 'no_answer')
        return {
          class: 'dispatch',
          priority: 1,
          confidence: 0.85,
          reasons: ['pendant pressed, no answer on the voice line'],
        };
      if (voice === 'unavailable')
        return {
          class: 'dispatch',
          priority: 2,
          confidence: 0.6,
          reasons: ['pendant pressed, no voice connection to the unit'],
        };
      if (voice === 'connected')
        return {
          class: 'phone_resolvable',
          priority: 3,
          confidence: 0.7,
          reasons: ['pendant pressed with voice contact'],
        };
      return {
        class: 'phone_resolvable',
        priority: 2,
        confidence: 0.5,
        reasons: ['pendant pressed, voice contact not reported'],
      };
    case 'wandering':
      return isNightHour(input.localHour)
        ? { class: 'dispatch', priority: 2, confidence: 0.7, reasons: ['wandering sensor at night'] }
        : { class: 'phone_resolvable', priority: 2, confidence: 0.6, reasons: ['wandering sensor'] };
    case 'door_open':
      return isNightHour(input.localHour)
        ? { class: 'phone_resolvable', priority: 2, confidence: 0.6, reasons: ['door opened at night'] }
        : { class: 'phone_resolvable', priority: 4, confidence: 0.6, reasons: ['door sensor'] };
    case 'bed_exit':
      return isNightHour(input.localHour)
        ? { class: 'phone_resolvable', priority: 3, confidence: 0.6, reasons: ['out of bed at night'] }
        : { class: 'phone_resolvable', priority: 4, confidence: 0.6, reasons: ['bed sensor'] };
    case 'medication':
      return { class: 'phone_resolvable', priority: 4, confidence: 0.8, reasons: ['pill dispenser: dose not taken'] };
    case 'planned_call':
      return {
        class: 'phone_resolvable',
        priority: 3,
        confidence: 0.9,
        reasons: ['planned call: escalate when not answered'],
      };
    case 'night_check':
      return { class: 'phone_resolvable', priority: 3, confidence: 0.8, reasons: ['night supervision check'] };
    case 'cancel':
      return {
        class: 'false_alarm',
        priority: 5,
        confidence: 0.9,
        reasons: ['cancel event: closes the related press'],
      };
    case 'heartbeat_missed':
      return {
        class: 'false_alarm',
        priority: 4,
        confidence: 0.9,
        reasons: ['unit silent: citizen unprotected until repaired'],
      };
    case 'test':
      return { class: 'false_alarm', priority: 5, confidence: 0.99, reasons: ['periodic test transmission'] };
    default:
      if (TECHNICAL_TYPES.has(type)) {
        return {
          class: 'false_alarm',
          priority: 5,
          confidence: 0.95,
          reasons: [`technical event (${type.replace('_', ' ')}): maintenance task`],
        };
      }
      // A type added to the contract without a rule yet: let an operator look at it.
      return { class: 'phone_resolvable', priority: 3, confidence: 0.3, reasons: [`no rule for ${type}`] };
  }
}

function raise(t: Triage, cls: TriageClass, priority: Priority, reason: string): Triage {
  const next = CLASS_RANK[cls] > CLASS_RANK[t.class] ? cls : t.class;
  const p = Math.min(t.priority, priority) as Priority;
  if (next === t.class && p === t.priority) return t;
  return { ...t, class: next, priority: p, reasons: [...t.reasons, reason] };
}

/** Context that raises urgency on top of the type's base rule. */
/** Event types whose repeats do not raise urgency: a cancel, technical and test events. */
export const REPEATS_DO_NOT_RAISE: readonly EventType[] = EVENT_TYPES.filter(
  (type) => type === 'cancel' || isTechnicalOrTest(type),
);

function adjust(t: Triage, input: TriageInput): Triage {
  let out = t;
  if (input.earlierInIncident + 1 >= REPEAT_THRESHOLD && !REPEATS_DO_NOT_RAISE.includes(input.type)) {
    out = raise(
      out,
      'phone_resolvable',
      Math.max(1, out.priority - 1) as Priority,
      `repeated alarm: ${input.earlierInIncident + 1} in this incident`,
    );
  }
  const lateMs = input.receivedAt.getTime() - input.occurredAt.getTime();
  if (lateMs > LATE_AFTER_MS && out.class !== 'false_alarm') {
    const priority = Math.max(1, out.priority - 1) as Priority;
    out = { ...out, priority, reasons: [...out.reasons, `arrived ${Math.round(lateMs / 60_000)} min late`] };
  }
  return out;
}

/** The floors: never negotiable, applied after every other rule. */
function applySafetyFloors(t: Triage, input: TriageInput): Triage {
  let out = t;
  if (input.type === 'smoke') out = raise(out, 'dispatch', 1, 'safety floor: smoke alarm');
  if ((input.type === 'fall' || input.type === 'epilepsy') && input.voice !== 'connected') {
    out = raise(out, 'dispatch', out.priority, `safety floor: ${input.type} without voice contact`);
  }
  if (input.type === 'pendant' && input.voice === 'no_answer')
    out = raise(out, 'dispatch', out.priority, 'safety floor: pendant, no answer');
  if (input.unknownDevice) {
    out = raise(out, 'phone_resolvable', out.priority, 'unknown device: no citizen linked, check the registry');
  }
  return out;
}

export function classify(input: TriageInput): Triage {
  return applySafetyFloors(adjust(base(input), input), input);
}
