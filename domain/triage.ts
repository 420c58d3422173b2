// The triage engine: rules, what operators' decisions have taught (domain/triage-learning.ts), context,
// and safety floors. Pure: no I/O, no clock (time comes in the input).
//
// Triage advises and orders the queue; the operator answers every real alarm and records the decision.
// The order of a classification: the type's base rule; for the ambiguous types (LEARNED_TYPES) the
// prediction from the citizen's, municipality's and centre's decisions, checked against the context
// (night, the unit's technical trouble just before); late arrival; and last the safety floors, which
// can only raise urgency, never lower it, so nothing learned can call a smoke alarm or a silent fall
// false. Every reason is a key of domain/triage-reasons.ts with its parameters; `reasons` holds the
// same in English words.
import type { EventType, TriageClass, VoiceState } from './events.js';
import { EVENT_TYPES, isTechnicalOrTest } from './events.js';
import { INCIDENT_WINDOW_MINUTES } from './incidents.js';
import { isNightHour } from './time.js';
import {
  BASE_PRIOR,
  predict,
  type ClassCounts,
  type EvidenceLevels,
  type Prediction,
  type PriorLevel,
} from './triage-learning.js';
import { reasonText, type ReasonKey, type TriageReason } from './triage-reasons.js';

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
  /** Seconds from the press to its cancel on the device (device times), when cancelled; shown as a reason. */
  cancelledAfterSeconds?: number | null | undefined;
  /**
   * What operators' decisions have taught about this citizen, their municipality and the centre
   * (domain/triage-learning.ts), read by the statement that locks the alarm. Absent: the rules alone.
   */
  evidence?: EvidenceLevels | null | undefined;
  /** When an alarm of this citizen was last decided `dispatch` (a visit was needed); null: not known. */
  lastVisitAt?: Date | null | undefined;
  /** The same device's latest technical trouble before this alarm (within RECENT_TECHNICAL_MINUTES). */
  recentTechnical?: { lowBatteryAt: Date | null; mainsFailureAt: Date | null } | null | undefined;
  /** The municipality's settings; absent ones are DEFAULT_TRIAGE_SETTINGS. */
  settings?: Partial<TriageSettings> | null | undefined;
  /**
   * A planned call's or night check's attempt (its `details.attempt`, as the scheduler raises it: 1 the
   * first, 2 the retry after the citizen was not reached); absent for anything else.
   */
  attempt?: number | null | undefined;
};

/** The attempt in an event's details, when it is a whole number of at least 1 (else null). */
export function attemptOf(details: unknown): number | null {
  if (typeof details !== 'object' || details === null) return null;
  const a = (details as Record<string, unknown>)['attempt'];
  return typeof a === 'number' && Number.isInteger(a) && a >= 1 ? a : null;
}

/**
 * A municipality's triage settings (migrations/0014, set through the registry and
 * PUT /v1/admin/municipalities/:id/triage). The incident window is used where alarms are stored
 * (db/accept.ts); the others here.
 */
export type TriageSettings = {
  /** Alarms of one unit this close together are one incident (domain/incidents.ts). */
  incidentWindowMinutes: number;
  /** A cancel this long after its press settles it as false; a later one leaves the press for a call. */
  cancelWindowSeconds: number;
  /** Types whose alarms triage closes itself (resolved false, no operator); a subset of SELF_CLOSABLE_TYPES. */
  selfClosingTypes: readonly EventType[];
};

/**
 * ASSUMPTIONS, the defaults: the incident window is domain/incidents.ts's; a cancel within five minutes
 * is the citizen's own correction of a press (no source gives a figure); only a test transmission and a
 * mains restore (closing its failure with it: a restored pair) close themselves.
 */
export const DEFAULT_TRIAGE_SETTINGS: TriageSettings = {
  incidentWindowMinutes: INCIDENT_WINDOW_MINUTES,
  cancelWindowSeconds: 300,
  selfClosingTypes: ['test', 'mains_restored'],
};

/**
 * The only types a municipality may let close themselves: tests and technical events whose unit's
 * task stays open anyway. Never a press or sensor, and never a missing heartbeat (an unprotected citizen).
 */
export const SELF_CLOSABLE_TYPES: readonly EventType[] = [
  'test',
  'low_battery',
  'mains_failure',
  'mains_restored',
  'tamper',
];

/** What the learning contributed (the alarm view's `triage.learning`). */
export type TriageLearning = {
  predicted: TriageClass;
  probabilities: ClassCounts;
  /** The level the citizen's prediction starts from. */
  prior: PriorLevel;
  /** The citizen's decayed count of decisions. */
  evidence: number;
  confidence: number;
  /** The prediction changed the advice. */
  applied: boolean;
};

export type Triage = {
  class: TriageClass;
  /** 1 is the most urgent, 5 the least. */
  priority: 1 | 2 | 3 | 4 | 5;
  confidence: number;
  /** The reasons in English words (the contract's `reasons`), one per `reasonKeys` entry. */
  reasons: string[];
  reasonKeys: TriageReason[];
  /** Null for a type that does not learn, or when no evidence was given. */
  learning: TriageLearning | null;
  /** The municipality lets this alarm close itself: triage resolves it as false, no operator needed. */
  closesItself: boolean;
};

type Priority = Triage['priority'];

const CLASS_RANK: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 1, dispatch: 2 };

/** Repeated presses: 3 or more alarms of one device in one incident raise urgency (primer: "Repeat callers"). */
const REPEAT_THRESHOLD = 3;

/** An event that reaches us this late (a gateway's backlog flush) has already waited: raise its urgency. */
const LATE_AFTER_MS = 5 * 60_000;

/** A press from a citizen who needed a visit this recently is never advised false. */
export const RECENT_VISIT_DAYS = 30;

/** The unit's technical trouble this shortly before a press is part of the press's context. */
export const RECENT_TECHNICAL_MINUTES = 60;

/** The ambiguous types whose advice the operators' decisions shape, and whose decisions teach. */
export const LEARNED_TYPES: ReadonlySet<EventType> = new Set<EventType>(['pendant']);

/**
 * The types whose risk of needing a visit (VISIT_RISK_DISPATCH) is learned per municipality and type
 * rather than per citizen: a pill dispenser's dose not taken (a call, unless nobody answers) and the
 * dementia sensors (phone or dispatch by context). Their decisions teach `<municipality>/<type>` rows
 * (db/triage-evidence.ts), given to `classify` as the evidence's municipality and global levels.
 */
export const RISK_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'medication',
  'bed_exit',
  'door_open',
  'wandering',
]);

/**
 * The key of a risk type's evidence rows, in the municipality and global scopes beside the presses' rows
 * (db/triage-evidence.ts): `<municipality>/<type>`, and `/<type>` for the centre. Nothing is learned per
 * citizen for these types. (db/triage.ts builds the same keys in SQL.)
 */
export const typeKey = (type: string, municipality = ''): string => `${municipality}/${type}`;

/**
 * A prediction changes the advice only when it is this clear and stands on this much evidence: a
 * newcomer in a municipality whose presses are clearly of one kind qualifies (confidence about half the
 * class's probability), a municipality with a handful of decisions does not.
 */
export const LEARN_MIN_PROBABILITY = 0.6;
export const LEARN_MIN_CONFIDENCE = 0.3;
/**
 * Calling a press false lowers urgency, the one mistake that costs most, so learning does it only on a
 * citizen's own, overwhelming history: this probability of an accidental press on about eight recent
 * decisions of their own (7.5 after decay). Below it the press stays for a call. On a simulated year
 * (npm run eval:triage) 6 decisions let one true dispatch be advised false, 8 none.
 */
export const LEARN_FALSE_MIN_PROBABILITY = 0.75;
export const LEARN_FALSE_MIN_EVIDENCE = 7.5;
/**
 * Safety over cleverness: a press a call may well not settle is advised dispatch. The risk is the
 * probability that the press needs a visit, as the decisions on the citizen's presses, their
 * municipality's and the centre's predict it (BASE_PRIOR's 20 % with no decisions at all). A press
 * whose risk is this or more, not cancelled and answered (or voice not reported), is advised dispatch
 * with the risk as its reason; below it the citizen's own history of calls settled by phone (or of
 * accidental presses) lets the advice stay phone (or false). Missing a visit costs far more than
 * readying one the call turns out not to need, hence a low threshold. The same holds for RISK_TYPES, by
 * their municipality's record. ASSUMPTION: no source gives the figure; on the simulated years of
 * `npm run eval:triage` (load-tests/RESULTS.md) 3 % let dispatch recall fall to 99.3 % over a first
 * quarter, 2 % keeps it at 99.75 % or more over a quarter and a year on each seed tried.
 */
export const VISIT_RISK_DISPATCH = 0.02;

type Draft = { class: TriageClass; priority: Priority; confidence: number; reasons: TriageReason[] };

const r = (key: ReasonKey, params?: TriageReason['params']): TriageReason => (params ? { key, params } : { key });
const draft = (cls: TriageClass, priority: Priority, confidence: number, reason: TriageReason): Draft => ({
  class: cls,
  priority,
  confidence,
  reasons: [reason],
});

function cancelReason(input: TriageInput): TriageReason {
  const s = input.cancelledAfterSeconds;
  return s === null || s === undefined ? r('cancelled') : r('cancelled_after', { seconds: Math.max(0, Math.round(s)) });
}

function base(input: TriageInput): Draft {
  const { type, voice } = input;
  const night = isNightHour(input.localHour);
  // A retry of a planned call or night check: the citizen was not reached at the first attempt, and the
  // domain primer's handling is "retry, then dispatch" (the call types): ready someone to go.
  if ((type === 'planned_call' || type === 'night_check') && (input.attempt ?? 1) > 1)
    return draft('dispatch', 2, 0.7, r('planned_retry', { attempt: input.attempt ?? 2 }));
  switch (type) {
    case 'smoke':
      return draft('dispatch', 1, 0.97, r('smoke'));
    case 'fall':
      // "Dispatch unless speech contact clears it" (domain primer, the call types): voice contact lets the
      // operator clear it, it does not clear it by itself.
      if (voice === 'connected') return draft('dispatch', 2, 0.6, r('fall_voice'));
      return draft('dispatch', 1, 0.9, r('fall_no_voice'));
    case 'epilepsy':
      return draft('dispatch', 1, 0.9, r('epilepsy'));
    case 'pendant':
      if (input.cancelled && voice !== 'no_answer') {
        const window = input.settings?.cancelWindowSeconds ?? DEFAULT_TRIAGE_SETTINGS.cancelWindowSeconds;
        const after = input.cancelledAfterSeconds;
        // Cancelled long after the press: the citizen may have given up waiting. Call to check.
        if (after !== null && after !== undefined && after > window)
          return draft(
            'phone_resolvable',
            3,
            0.6,
            r('cancelled_late', { seconds: Math.round(after), window: Math.round(window) }),
          );
        return draft('false_alarm', 5, 0.8, cancelReason(input));
      }
      if (voice === 'no_answer') return draft('dispatch', 1, 0.85, r('pendant_no_answer'));
      if (voice === 'unavailable') return draft('dispatch', 2, 0.6, r('pendant_no_voice_link'));
      if (voice === 'connected') return draft('phone_resolvable', 3, 0.7, r('pendant_voice'));
      return draft('phone_resolvable', 2, 0.5, r('pendant_voice_unknown'));
    case 'wandering':
    case 'door_open':
    case 'bed_exit':
      return sensor(input, night);
    case 'medication':
      return draft('phone_resolvable', 4, 0.8, r('medication'));
    case 'planned_call':
      if (voice === 'no_answer') return draft('dispatch', 2, 0.8, r('planned_call_no_answer'));
      return draft('phone_resolvable', 3, 0.9, r('planned_call'));
    case 'night_check':
      return draft('phone_resolvable', 3, 0.8, r('night_check'));
    case 'cancel':
      return draft('false_alarm', 5, 0.9, r('cancel_event'));
    case 'heartbeat_missed':
      return draft('false_alarm', 4, 0.9, r('heartbeat_missed'));
    case 'test':
      return draft('false_alarm', 5, 0.99, r('test'));
    case 'low_battery':
    case 'mains_failure':
    case 'mains_restored':
    case 'tamper':
      return draft('false_alarm', 5, 0.95, r(`technical_${type}`));
    default:
      // A type added to the contract without a rule yet: let an operator look at it.
      return draft('phone_resolvable', 3, 0.3, r('no_rule', { type }));
  }
}

/**
 * A bed, door or wandering sensor: by the hour; when the citizen does not answer the unit, someone must
 * go (as for a press nobody answers).
 */
function sensor(input: TriageInput, night: boolean): Draft {
  if (input.voice === 'no_answer') return draft('dispatch', 2, 0.7, r('sensor_no_answer'));
  switch (input.type) {
    case 'wandering':
      return night
        ? draft('dispatch', 2, 0.7, r('wandering_night'))
        : draft('phone_resolvable', 2, 0.6, r('wandering'));
    case 'door_open':
      return night ? draft('phone_resolvable', 2, 0.6, r('door_night')) : draft('phone_resolvable', 4, 0.6, r('door'));
    default:
      return night
        ? draft('phone_resolvable', 3, 0.6, r('bed_exit_night'))
        : draft('phone_resolvable', 4, 0.6, r('bed_exit'));
  }
}

const moreUrgent = (p: Priority): Priority => Math.max(1, p - 1) as Priority;

/** At least `cls` and at most `priority`, with the reason when that changed anything. */
function raise(t: Draft, cls: TriageClass, priority: Priority, reason: TriageReason): Draft {
  const next = CLASS_RANK[cls] > CLASS_RANK[t.class] ? cls : t.class;
  const p = Math.min(t.priority, priority) as Priority;
  if (next === t.class && p === t.priority) return t;
  return { ...t, class: next, priority: p, reasons: [...t.reasons, reason] };
}

/** Event types whose repeats do not raise urgency: a cancel, technical and test events. */
export const REPEATS_DO_NOT_RAISE: readonly EventType[] = EVENT_TYPES.filter(
  (type) => type === 'cancel' || isTechnicalOrTest(type),
);

const minutesBefore = (input: TriageInput, at: Date | null | undefined): number | null => {
  if (!at) return null;
  const ms = input.occurredAt.getTime() - at.getTime();
  return ms >= 0 && ms <= RECENT_TECHNICAL_MINUTES * 60_000 ? Math.round(ms / 60_000) : null;
};

/** The unit's technical trouble just before the alarm, as a reason, or null. */
function technicalTrouble(input: TriageInput): TriageReason | null {
  const t = input.recentTechnical;
  const mains = minutesBefore(input, t?.mainsFailureAt);
  if (mains !== null) return r('mains_failure_before', { minutes: mains });
  const battery = minutesBefore(input, t?.lowBatteryAt);
  return battery !== null ? r('low_battery_before', { minutes: battery }) : null;
}

const percent = (p: number) => Math.round(p * 100);

const LEARNED_REASON: Record<TriageClass, [citizen: ReasonKey, newcomer: ReasonKey]> = {
  false_alarm: ['learned_false', 'prior_false'],
  phone_resolvable: ['learned_phone', 'prior_phone'],
  dispatch: ['learned_visit', 'prior_visit'],
};

/**
 * The ambiguous types: what the decisions predict, and the context that may stand in its way. A press
 * the citizen cancelled keeps its cancel; a press predicted accidental is not advised false at night or
 * just after the unit's technical trouble (each a reason when it kept the press open).
 */
function learn(t: Draft, input: TriageInput, p: Prediction | null): { draft: Draft; learning: TriageLearning | null } {
  if (!p) return { draft: t, learning: null };
  const learning: TriageLearning = {
    predicted: p.predicted,
    probabilities: p.probabilities,
    prior: p.prior,
    evidence: p.evidence,
    confidence: p.confidence,
    applied: false,
  };
  const clear = p.probabilities[p.predicted] >= LEARN_MIN_PROBABILITY && p.confidence >= LEARN_MIN_CONFIDENCE;
  if (input.cancelled || !clear) return { draft: t, learning };
  // Without voice contact nobody has heard that all is well: learning may raise such a press, never lower it.
  if (p.predicted !== 'dispatch' && input.voice !== 'connected' && input.voice !== null) return { draft: t, learning };
  const [citizenKey, newcomerKey] = LEARNED_REASON[p.predicted];
  const reason = r(p.evidence >= 1 ? citizenKey : newcomerKey, { percent: percent(p.probabilities[p.predicted]) });
  let out: Draft;
  switch (p.predicted) {
    case 'dispatch':
      out = { ...t, class: 'dispatch', priority: moreUrgent(t.priority) };
      break;
    case 'phone_resolvable':
      out = { ...t, class: 'phone_resolvable' };
      break;
    case 'false_alarm': {
      const overwhelming =
        p.probabilities.false_alarm >= LEARN_FALSE_MIN_PROBABILITY && p.evidence >= LEARN_FALSE_MIN_EVIDENCE;
      if (!overwhelming) return { draft: t, learning };
      const kept = isNightHour(input.localHour) ? r('night_press') : technicalTrouble(input);
      // The context, not the prediction, decides: the press stays for a call (the rule's advice,
      // never false for a press that was not cancelled), and the reason says what kept it.
      if (kept) return { draft: { ...t, reasons: [...t.reasons, kept] }, learning };
      out = { ...t, class: 'false_alarm', priority: Math.max(t.priority, 4) as Priority };
      break;
    }
  }
  if (out.class === t.class && out.priority === t.priority) return { draft: t, learning };
  return {
    draft: { ...out, confidence: p.confidence, reasons: [...t.reasons, reason] },
    learning: { ...learning, applied: true },
  };
}

/**
 * A press a call may not settle: dispatch when the risk of a visit (VISIT_RISK_DISPATCH) is not small.
 * Not for a cancelled press (the cancel settles it, or a late cancel asks for a call) nor one already
 * advised dispatch.
 */
function visitRisk(t: Draft, input: TriageInput, p: Prediction | null): Draft {
  if (input.cancelled || t.class === 'dispatch') return t;
  const press = LEARNED_TYPES.has(input.type);
  let risk: number;
  if (press) {
    if (input.voice !== 'connected' && input.voice !== null) return t;
    risk = p ? p.probabilities.dispatch : BASE_PRIOR.dispatch;
  } else if (RISK_TYPES.has(input.type) && input.evidence) {
    // The type's own record in the municipality (the centre's behind it); nothing per citizen.
    const e = input.evidence;
    risk = predict({ municipality: e.municipality, global: e.global }, input.receivedAt.getTime()).probabilities
      .dispatch;
  } else return t;
  if (risk < VISIT_RISK_DISPATCH)
    return {
      ...t,
      reasons: [
        ...t.reasons,
        r(press ? 'visit_risk_low' : 'type_visit_risk_low', { percent: Math.round(risk * 1000) / 10 }),
      ],
    };
  return {
    ...t,
    class: 'dispatch',
    // At least as urgent as the press was: a visit that may be needed does not wait behind calls.
    priority: Math.min(t.priority, 3) as Priority,
    // How likely the advice is right: the risk itself (the reason says why it is advised anyway).
    confidence: risk,
    reasons: [...t.reasons, r(press ? 'visit_risk' : 'type_visit_risk', { percent: Math.max(1, percent(risk)) })],
  };
}

/** Context that raises urgency on top of the advice so far. */
function adjust(t: Draft, input: TriageInput): Draft {
  let out = t;
  // A press without voice contact right after the unit lost mains or reported a low battery: the unit
  // itself may be failing.
  if (input.type === 'pendant' && input.voice !== 'connected' && out.class !== 'false_alarm') {
    const trouble = technicalTrouble(input);
    if (trouble) out = { ...out, priority: moreUrgent(out.priority), reasons: [...out.reasons, trouble] };
  }
  const lateMs = input.receivedAt.getTime() - input.occurredAt.getTime();
  if (lateMs > LATE_AFTER_MS && out.class !== 'false_alarm') {
    out = {
      ...out,
      priority: moreUrgent(out.priority),
      reasons: [...out.reasons, r('late', { minutes: Math.round(lateMs / 60_000) })],
    };
  }
  return out;
}

const DAY_MS = 86_400_000;

/** The floors: never negotiable, applied after every other rule. Each can only raise urgency. */
function applySafetyFloors(t: Draft, input: TriageInput): Draft {
  let out = t;
  const { type, voice } = input;
  if (type === 'smoke') out = raise(out, 'dispatch', 1, r('floor_smoke'));
  if ((type === 'fall' || type === 'epilepsy') && voice !== 'connected')
    out = raise(out, 'dispatch', out.priority, r(type === 'fall' ? 'floor_fall_no_voice' : 'floor_epilepsy_no_voice'));
  // A cancel, or anything learned, never closes one of these by itself.
  if (type === 'fall' || type === 'smoke' || type === 'epilepsy')
    out = raise(out, 'phone_resolvable', out.priority, r('floor_never_false'));
  if (type === 'pendant' && voice === 'no_answer')
    out = raise(out, 'dispatch', out.priority, r('floor_pendant_no_answer'));
  if (input.unknownDevice) out = raise(out, 'phone_resolvable', out.priority, r('floor_unknown_device'));
  if (input.earlierInIncident + 1 >= REPEAT_THRESHOLD && !REPEATS_DO_NOT_RAISE.includes(type))
    out = raise(
      out,
      'phone_resolvable',
      moreUrgent(out.priority),
      r('repeated', { count: input.earlierInIncident + 1 }),
    );
  const visit = input.lastVisitAt;
  if (
    visit &&
    !REPEATS_DO_NOT_RAISE.includes(type) &&
    input.receivedAt.getTime() - visit.getTime() <= RECENT_VISIT_DAYS * DAY_MS
  )
    out = raise(out, 'phone_resolvable', out.priority, r('floor_recent_visit'));
  if (type === 'heartbeat_missed') out = raise(out, 'phone_resolvable', out.priority, r('floor_heartbeat'));
  return out;
}

/** The municipality lets this alarm close itself: a self-closable type it lists, advised false. */
function closesItself(t: Draft, input: TriageInput): Draft | null {
  const types = input.settings?.selfClosingTypes ?? DEFAULT_TRIAGE_SETTINGS.selfClosingTypes;
  if (!types.includes(input.type) || !SELF_CLOSABLE_TYPES.includes(input.type) || t.class !== 'false_alarm')
    return null;
  return { ...t, reasons: [...t.reasons, r('closes_itself')] };
}

export function classify(input: TriageInput): Triage {
  const prediction =
    LEARNED_TYPES.has(input.type) && input.evidence ? predict(input.evidence, input.receivedAt.getTime()) : null;
  const { draft: learned, learning } = learn(base(input), input, prediction);
  const floored = applySafetyFloors(adjust(visitRisk(learned, input, prediction), input), input);
  const closing = closesItself(floored, input);
  const t = closing ?? floored;
  return {
    class: t.class,
    priority: t.priority,
    confidence: Math.min(1, Math.max(0, t.confidence)),
    reasons: t.reasons.map((x) => reasonText(x)),
    reasonKeys: t.reasons,
    learning,
    closesItself: closing !== null,
  };
}
