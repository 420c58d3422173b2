// A centre's history: the simulator's traffic (profile.ts) as the alarms a centre would have stored, with
// the triage each got (domain/triage.ts, the real rules), the operators' decisions and answer times, and
// the dispatches with their arrival. The operators decide from what each call truly needed (the citizens'
// hidden profiles, citizens.ts) through the simulated operator (operator.ts), so history, demo and the
// triage evaluation share one model. Pure: no I/O and no clock; the same options give the same history.
// `npm run seed:history` (bin/seed-history.ts) loads it. Figures marked ASSUMPTION have no source.
import {
  isTechnicalOrTest,
  laneFor,
  type EventType,
  type Lane,
  type TriageClass,
  type VoiceState,
} from '../../domain/events.js';
import { INCIDENT_WINDOW_MINUTES } from '../../domain/incidents.js';
import { localHour } from '../../domain/time.js';
import { attemptOf, classify, REPEATS_DO_NOT_RAISE, type Triage, type TriageInput } from '../../domain/triage.js';
import type { TrueOutcome } from './citizens.js';
import type { Municipality } from './municipalities.js';
import { operatorDecision, type OperatorOptions } from './operator.js';
import { traffic, type FleetDevice, type GatewayEvent } from './profile.js';
import { seededRandom, type Random } from './random.js';

export type HistoryAlarm = {
  id: string;
  gatewayId: string;
  eventId: string;
  municipality: string;
  deviceId: string;
  citizenId: string | null;
  unknownDevice: boolean;
  type: EventType;
  lane: Lane;
  occurredAt: number;
  receivedAt: number;
  voice: VoiceState | null;
  relatesTo: string | null;
  batteryPercent: number | null;
  details: Record<string, unknown>;
  incidentId: string;
  triage: Triage;
  triagedAt: number;
  claimedBy: string | null;
  claimedAt: number | null;
  outcome: TriageClass | null;
  resolvedAt: number | null;
  /** What the call truly needed (hidden: not stored). */
  truth: TrueOutcome;
};

export type HistoryDispatch = {
  id: string;
  alarmId: string;
  municipality: string;
  citizenId: string | null;
  alarmType: EventType;
  requestedBy: string;
  requestedAt: number;
  /** As it stands at the end of the history: a visit under way is not completed yet. */
  status: 'en_route' | 'arrived' | 'completed';
  arrivedAt: number | null;
  completedAt: number | null;
};

export type HistoryOptions = {
  seed: number;
  /** ms since the epoch: the first alarm's earliest receipt, and the present (nothing at or after it). */
  start: number;
  end: number;
  fleet: readonly FleetDevice[];
  municipalities: readonly Municipality[];
  /** Storms and gateway outages a day over all the municipalities (profile.ts' defaults are for the seven). */
  stormsPerDay?: number;
  gatewayOutagesPerDay?: number;
  /** The simulated operators' error rates (operator.ts). */
  operator?: OperatorOptions;
  /** Told of every advice and decision as simulated time passes (the triage evaluation listens). */
  observer?: HistoryObserver;
};

/**
 * Every advice and decision of a history, in simulated time order: an alarm advised (again, when a cancel
 * re-advises its press) with the input the worker would give `classify`, and an incident decided.
 */
export type HistoryObserver = {
  advised(alarm: HistoryAlarm, input: TriageInput): void;
  decided(alarms: readonly HistoryAlarm[], outcome: TriageClass, at: number): void;
};

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** ASSUMPTION: a unit's event reaches the centre 0.2–1.5 s after it was sent; triage takes 20–80 ms. */
const NETWORK_MS = [200, 1500] as const;
const TRIAGE_MS = [20, 80] as const;

/**
 * ASSUMPTION, seconds from receipt to an operator's claim: usually quick (log-normal, median 12 s), at
 * busy moments slower (5 %: median 45 s), which puts about 97.8 % within 60 s and 99.7 % within 180 s,
 * near the TSA targets (97.5 % and 99 %, domain.md). Technical events wait three times as long (their
 * priority is lowest).
 */
function answerSeconds(rng: Random, technical: boolean): number {
  const busy = rng.chance(0.05);
  const s = Math.exp(Math.log(busy ? 45 : 12) + (busy ? 0.9 : 0.6) * gaussian(rng));
  return Math.max(1, s) * (technical ? 3 : 1);
}

/** ASSUMPTION, minutes from claim to decision: a false alarm 0.5–2, a phone call 2–8, a dispatch 3–6. */
const HANDLING_MINUTES: Record<TriageClass, readonly [number, number]> = {
  false_alarm: [0.5, 2],
  phone_resolvable: [2, 8],
  dispatch: [3, 6],
};

const SEVERITY: Record<TriageClass, number> = { false_alarm: 0, phone_resolvable: 1, dispatch: 2 };

/**
 * Minutes from dispatch to arrival: a TSA member attends 90 % of emergencies within 45 minutes and all
 * within 60 (domain.md); ASSUMPTION: log-normal with median 22 minutes, capped at 75, then 15–45 minutes
 * on site.
 */
const arrivalMinutes = (rng: Random) => Math.min(75, Math.max(4, Math.exp(Math.log(22) + 0.5 * gaussian(rng))));

/** ASSUMPTION: twelve operators share the work; names are the demo's (no real person). */
const OPERATORS = Array.from({ length: 12 }, (_, i) => `operator-${i + 1}`);

function gaussian(rng: Random): number {
  const u = Math.max(rng.next(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Eight hex digits of a 32-bit number. */
const hex32 = (n: number) => HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;

/** A version-4 UUID from the seeded generator, so a seed reproduces the ids too. */
function uuid(rng: Random): string {
  const word = () => Math.floor(rng.next() * 2 ** 32) >>> 0;
  const a = hex32(word());
  const b = hex32(((word() & 0xffff0fff) | 0x00004000) >>> 0);
  const c = hex32(((word() & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex32(word());
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** The local hour of an instant; Copenhagen's offsets are whole hours, so one lookup per UTC hour. */
const hourCache = new Map<number, number>();
function localHourOf(at: number): number {
  const h = Math.floor(at / 3_600_000);
  let local = hourCache.get(h);
  if (local === undefined) hourCache.set(h, (local = localHour(h * 3_600_000)));
  return local;
}

/** Recent keys, forgotten after one to two rounds of `rotate`: a map per round, the last two kept. */
class RecentMap<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  get(key: string): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }
  set(key: string, value: V): void {
    this.current.set(key, value);
  }
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

type Incident = {
  id: string;
  alarms: HistoryAlarm[];
  claimAt: number;
  resolveAt: number;
  operator: string;
  lastAt: number;
};

/** What is ready to store: alarms whose incident is decided (or still open at the end), in order. */
export type HistoryChunk = { alarms: HistoryAlarm[]; dispatches: HistoryDispatch[]; simAt: number };

/**
 * The history from `start` to `end`, in chunks as simulated time passes. An incident (the alarms of one
 * device and lane within INCIDENT_WINDOW_MINUTES while it is open, and the cancels and restores that
 * follow up one of them) is claimed and decided as one call, as the console does: alarms that arrive
 * before the claim are claimed with it, later ones when the decision is recorded. A cancel re-advises the
 * press it cancels, and the decision follows the incident's latest triage. An incident still undecided
 * at `end` stays open (claimed, or not yet).
 */
export function* history(opts: HistoryOptions): Generator<HistoryChunk> {
  const rng = seededRandom(opts.seed ^ 0x5eed);
  const open = new Map<string, Incident>();
  /** The latest incident of each device and lane (it takes alarms while it is open). */
  const latest = new Map<string, Incident>();
  /**
   * An event's alarm and incident, by gateway and event id: for the follow-ups that relate to it, and so
   * a backlog flush does not store an event sent before. Kept a day or two: restores come within hours,
   * a backlog within eight.
   */
  const byEvent = new RecentMap<{ alarm: HistoryAlarm; incident: Incident }>();
  let lastRotation = opts.start;
  let out: HistoryChunk = { alarms: [], dispatches: [], simAt: opts.start };

  const decide = (inc: Incident) => {
    const first = inc.alarms[0]!;
    // The operator decides the incident as one call: what its most serious alarm truly needed.
    let truth = first.truth.class;
    for (const a of inc.alarms) if (SEVERITY[a.truth.class] > SEVERITY[truth]) truth = a.truth.class;
    const outcome = operatorDecision(rng, truth, opts.operator);
    for (const a of inc.alarms) {
      a.claimedBy = inc.operator;
      a.claimedAt = a.receivedAt <= inc.claimAt ? inc.claimAt : inc.resolveAt;
      a.outcome = outcome;
      a.resolvedAt = inc.resolveAt;
    }
    if (outcome === 'dispatch') {
      const arrivedAt = inc.resolveAt + arrivalMinutes(rng) * MINUTE;
      const completedAt = arrivedAt + rng.between(15, 45) * MINUTE;
      out.dispatches.push({
        id: uuid(rng),
        alarmId: first.id,
        municipality: first.municipality,
        citizenId: first.citizenId,
        alarmType: first.type,
        requestedBy: inc.operator,
        requestedAt: inc.resolveAt,
        status: completedAt < opts.end ? 'completed' : arrivedAt < opts.end ? 'arrived' : 'en_route',
        arrivedAt: arrivedAt < opts.end ? arrivedAt : null,
        completedAt: completedAt < opts.end ? completedAt : null,
      });
    }
    opts.observer?.decided(inc.alarms, outcome, inc.resolveAt);
    out.alarms.push(...inc.alarms);
    inc.alarms = [];
    open.delete(inc.id);
  };

  /** Incidents by decision time: the next to decide on top. */
  const due = new MinHeap<Incident>((a, b) => a.resolveAt - b.resolveAt);
  /** Decide every incident whose decision time has come, oldest first. */
  const decideUntil = (t: number) => {
    while (due.size > 0 && due.peek()!.resolveAt <= t) decide(due.pop()!);
  };

  /** The input the worker gives `classify` (services/triage/triage-alarm.ts), and the advice. */
  const advise = (a: HistoryAlarm, earlier: number, cancelled: boolean) => {
    const input: TriageInput = {
      type: a.type,
      voice: a.voice,
      unknownDevice: a.unknownDevice,
      batteryPercent: a.batteryPercent,
      occurredAt: new Date(a.occurredAt),
      receivedAt: new Date(a.receivedAt),
      localHour: localHourOf(a.occurredAt),
      // The worker counts 0 for the types whose repeats do not raise urgency (db/triage.ts).
      earlierInIncident: REPEATS_DO_NOT_RAISE.includes(a.type) ? 0 : earlier,
      cancelled,
      attempt: attemptOf(a.details),
    };
    a.triage = classify(input);
    opts.observer?.advised(a, input);
  };

  const devices = new Map(opts.fleet.map((d) => [d.deviceId, d]));

  const receive = (event: GatewayEvent, truth: TrueOutcome, gatewayId: string, municipality: string, at: number) => {
    const key = `${gatewayId}\u0000${event.eventId}`;
    if (byEvent.has(key)) return;
    const device = devices.get(event.deviceId);
    const receivedAt = at + rng.between(...NETWORK_MS);
    // What was decided before this alarm arrived is decided: it cannot join that incident or re-advise.
    decideUntil(receivedAt);
    const lane = laneFor(event.type);
    const related = event.relatesTo ? byEvent.get(`${gatewayId}\u0000${event.relatesTo}`) : undefined;
    const laneKey = `${event.deviceId}\u0000${lane}`;
    const previous = latest.get(laneKey);
    let incident =
      related && open.has(related.incident.id)
        ? related.incident
        : previous &&
            open.has(previous.id) &&
            receivedAt - previous.lastAt <= INCIDENT_WINDOW_MINUTES * MINUTE &&
            receivedAt < previous.resolveAt
          ? previous
          : undefined;
    const alarm: HistoryAlarm = {
      id: uuid(rng),
      gatewayId,
      eventId: event.eventId,
      municipality,
      deviceId: event.deviceId,
      citizenId: device?.citizenId ?? null,
      unknownDevice: device === undefined,
      type: event.type,
      lane,
      occurredAt: Date.parse(event.occurredAt),
      receivedAt,
      voice: event.voice ?? null,
      relatesTo: event.relatesTo ?? null,
      batteryPercent: event.batteryPercent ?? null,
      details: event.details ?? {},
      incidentId: '',
      triage: undefined as unknown as Triage,
      triagedAt: receivedAt + rng.between(...TRIAGE_MS),
      claimedBy: null,
      claimedAt: null,
      outcome: null,
      resolvedAt: null,
      truth,
    };
    if (!incident) {
      advise(alarm, 0, false);
      const claimAt = receivedAt + answerSeconds(rng, isTechnicalOrTest(alarm.type)) * SECOND;
      // How long the call takes follows what it turns out to be.
      const [lo, hi] = HANDLING_MINUTES[truth.class];
      incident = {
        id: uuid(rng),
        alarms: [],
        claimAt,
        resolveAt: claimAt + rng.between(lo, hi) * MINUTE,
        operator: rng.pick(OPERATORS),
        lastAt: receivedAt,
      };
      open.set(incident.id, incident);
      due.push(incident);
    } else {
      advise(alarm, incident.alarms.length, false);
    }
    alarm.incidentId = incident.id;
    incident.alarms.push(alarm);
    incident.lastAt = receivedAt;
    latest.set(laneKey, incident);
    byEvent.set(key, { alarm, incident });
    // A cancel re-advises the press it cancels (services/triage/triage-alarm.ts does the same).
    if (event.type === 'cancel' && related && related.alarm.outcome === null) {
      const press = related.alarm;
      advise(press, related.incident.alarms.indexOf(press), true);
    }
  };

  for (const s of traffic({
    seed: opts.seed,
    start: opts.start,
    fleet: opts.fleet,
    municipalities: opts.municipalities,
    ...(opts.stormsPerDay !== undefined ? { stormsPerDay: opts.stormsPerDay } : {}),
    ...(opts.gatewayOutagesPerDay !== undefined ? { gatewayOutagesPerDay: opts.gatewayOutagesPerDay } : {}),
    eventIdPrefix: 'h-',
  })) {
    if (s.at >= opts.end) break;
    decideUntil(s.at);
    // A re-send is the same event: the centre stored it the first time.
    if (s.kind === 'single' && !s.retry) receive(s.event, s.truth, s.gatewayId, s.municipality, s.at);
    if (s.kind === 'batch') s.events.forEach((e, i) => receive(e, s.truths[i]!, s.gatewayId, s.municipality, s.at));
    if (s.at - lastRotation > 24 * 60 * MINUTE) {
      byEvent.rotate();
      lastRotation = s.at;
    }
    if (out.alarms.length >= 5000) {
      out.simAt = s.at;
      yield out;
      out = { alarms: [], dispatches: [], simAt: s.at };
    }
  }
  decideUntil(opts.end);
  // Still open at the end: claimed if the claim time has passed, otherwise waiting.
  for (const inc of open.values()) {
    for (const a of inc.alarms)
      if (a.receivedAt <= inc.claimAt && inc.claimAt < opts.end) {
        a.claimedBy = inc.operator;
        a.claimedAt = inc.claimAt;
      }
    out.alarms.push(...inc.alarms);
  }
  out.simAt = opts.end;
  yield out;
}

/** The status an alarm of the history is stored with. */
export const statusOf = (a: HistoryAlarm): 'resolved' | 'claimed' | 'triaged' =>
  a.outcome !== null ? 'resolved' : a.claimedAt !== null ? 'claimed' : 'triaged';

/** A binary heap: push, and pop the least by `before`. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}
  get size() {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const h = this.items;
    h.push(item);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.before(h[i]!, h[parent]!) >= 0) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!) < 0) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!) < 0) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
