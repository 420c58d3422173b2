// The simulator's traffic model: what the gateways of the seven municipalities send, hour by hour.
// Pure: no I/O and no clock; simulated time comes in, a seeded generator (mulberry32) makes it reproducible.
// Figures cite shared/docs/domain.md and its sources; ASSUMPTION marks what no source gave us.
// Every call comes from a citizen with a hidden profile (citizens.ts) and carries its true outcome
// (`truth` on a send; never in the event a gateway sends), drawn before what the devices report, so that
// the voice line, a cancel or a repeated press follow from what truly happened.
import type { EventType, VoiceState } from '../../domain/events.js';
import { isNightHour, localHour } from '../../domain/time.js';
import {
  ACCIDENTAL_ANSWERED,
  ACCIDENTAL_CANCELLED,
  citizenProfile,
  FALSE_FALL_SILENT,
  KIT_OF,
  lightPressShares,
  REAL_FALL_SILENT,
  SERIOUS_SILENT,
  silence,
  type CitizenProfile,
  type KitItem,
  type TrueCause,
  type TrueOutcome,
} from './citizens.js';
import { MUNICIPALITIES, municipality, type Municipality } from './municipalities.js';
import { seededRandom, type Random } from './random.js';
import { demoFleet } from './registry.js';

export { MUNICIPALITIES, TOTAL_POPULATION, type Municipality } from './municipalities.js';
export { PENDANT_OUTCOMES, type TrueOutcome } from './citizens.js';

/** A device as the simulator sees it: which municipality it belongs to and which gateway it reports through. */
export type FleetDevice = { deviceId: string; municipality: string; gatewayId: string; citizenId?: string };

/** The body of POST /v1/alarms (contract: "Gateways → ingest"). */
export type GatewayEvent = {
  eventId: string;
  deviceId: string;
  type: EventType;
  occurredAt: string;
  voice?: VoiceState;
  relatesTo?: string;
  batteryPercent?: number;
  details?: Record<string, unknown>;
};

/** What a gateway sends, and when (`at`: simulated ms since the epoch). */
export type Send =
  | {
      kind: 'single';
      at: number;
      gatewayId: string;
      municipality: string;
      event: GatewayEvent;
      /** A unit re-sending after a failed first attempt: the same eventId again. */
      retry: boolean;
      /** What the call truly needed (hidden: not part of the event). */
      truth: TrueOutcome;
    }
  | {
      kind: 'batch';
      at: number;
      gatewayId: string;
      /** The municipality of the first event (a regional gateway's backlog may hold two). */
      municipality: string;
      events: GatewayEvent[];
      /** Each event's true outcome, in the same order. */
      truths: TrueOutcome[];
    };

export type ProfileOptions = {
  seed: number;
  /** Simulated start, ms since the epoch. */
  start: number;
  fleet: readonly FleetDevice[];
  /** Makes eventIds unique across runs against the same database. */
  eventIdPrefix?: string;
  /** Mains-failure storms per simulated day, over all seven municipalities. */
  stormsPerDay?: number;
  /** Gateway outages ending in a backlog flush, per simulated day, over all gateways. */
  gatewayOutagesPerDay?: number;
  timeZone?: string;
  /** The municipalities whose traffic is made (default the seven); their devices are in `fleet`. */
  municipalities?: readonly Municipality[];
};

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SECOND = 1_000;

/** Aabenraa: 24,920 nødkald in 2022, about 68 a day (domain.md, "The situation"). */
export const NOEDKALD_PER_DAY_AABENRAA = 68;
/** Aabenraa about 59,000 inhabitants; the others scale in proportion (domain.md, "Traffic model"). */
export const REFERENCE_POPULATION = 59_000;

/**
 * Relative hour-of-day weights (local time), normalised to mean 1. Peak 08:00–11:00, when home care has
 * most planned visits (SINTEF report A27757, M4ALMO); ASSUMPTION: the shape, the smaller evening bump
 * (18–20) and a low but steady night at about 40 % of the mean (domain.md, "Traffic model").
 */
export const NOEDKALD_BY_HOUR = normalise([
  0.45, 0.4, 0.4, 0.4, 0.4, 0.5, 0.8, 1.3, 2.0, 2.1, 2.0, 1.6, 1.2, 1.0, 0.95, 0.95, 1.0, 1.15, 1.35, 1.4, 1.25, 1.0,
  0.7, 0.55,
]);
const FLAT = normalise(Array.from({ length: 24 }, () => 1));
const hours = (from: number, to: number) =>
  normalise(Array.from({ length: 24 }, (_, h) => ((from <= to ? h >= from && h < to : h >= from || h < to) ? 1 : 0)));
/** ASSUMPTION: pill dispensers remind at 08, 12, 17 and 21; a missed dose is reported within the hour. */
const DOSE_HOURS = normalise(Array.from({ length: 24 }, (_, h) => ([8, 12, 17, 21].includes(h) ? 1 : 0)));

type Stream = {
  /** Expected events a day for a municipality of REFERENCE_POPULATION inhabitants. */
  perDay: number;
  byHour: readonly number[];
  /** Make one event of the stream in municipality `m` (choosing its device). */
  make: (g: Generation, m: string, at: number, hour: number) => void;
};

/**
 * Nødkald at the cited rate, and everything else a centre handles. ASSUMPTION, every rate but the first:
 * no source gave per-municipality volumes for these; chosen so that nødkald stay about two thirds of the
 * initiating traffic of a centre that also runs planned calls and night supervision (domain.md).
 */
const STREAMS = {
  noedkald: {
    perDay: NOEDKALD_PER_DAY_AABENRAA, // Aabenraa 2022 (domain.md, "The situation")
    byHour: NOEDKALD_BY_HOUR,
    make: (g, m, at, h) => g.emergency(m, at, h),
  },
  medication: { perDay: 4, byHour: DOSE_HOURS, make: (g, m, at) => g.medication(g.device(m), at) }, // ASSUMPTION
  // ASSUMPTION: agreed check-in calls in office hours; about one in ten is not answered at first.
  plannedCall: { perDay: 8, byHour: hours(9, 16), make: (g, m, at) => g.plannedCall(g.device(m), at) },
  // ASSUMPTION: virtual night supervision at agreed times between 22 and 06 (domain.md, "The call types").
  nightCheck: { perDay: 8, byHour: hours(22, 6), make: (g, m, at) => g.nightCheck(g.device(m), at) },
  lowBattery: { perDay: 3, byHour: FLAT, make: (g, m, at) => g.lowBattery(g.device(m), at) }, // ASSUMPTION
  // ASSUMPTION: a base unit unplugged and plugged in again, 10 min – 3 h later: a mains_failure/restored pair.
  mainsPair: {
    perDay: 1,
    byHour: FLAT,
    make: (g, m, at) => g.mainsFailure(g.device(m), at, g.rng.between(10, 180) * MINUTE),
  },
  tamper: { perDay: 0.2, byHour: FLAT, make: (g, m, at) => g.simple(g.device(m), at, 'tamper') }, // ASSUMPTION
  // ASSUMPTION: most periodic test transmissions end at the supplier's platform; a few reach the centre.
  test: { perDay: 6, byHour: FLAT, make: (g, m, at) => g.simple(g.device(m), at, 'test') },
} satisfies Record<string, Stream>;

/**
 * The kinds of nødkald, by day and by night. ASSUMPTION: the pendant dominates (domain.md, "The call
 * types"); smoke is rare; bed, door and wandering sensors are mostly a night matter ("often for dementia,
 * often at night").
 */
const EMERGENCY_MIX: Record<'day' | 'night', readonly (readonly [EventType, number])[]> = {
  day: [
    ['pendant', 84],
    ['fall', 8],
    ['bed_exit', 2],
    ['door_open', 1.5],
    ['wandering', 1],
    ['epilepsy', 1],
    ['smoke', 0.5],
  ],
  night: [
    ['pendant', 70],
    ['fall', 8],
    ['bed_exit', 9],
    ['door_open', 5],
    ['wandering', 5],
    ['epilepsy', 2],
    ['smoke', 0.5],
  ],
};

/** The pendant's share of the nødkald by day and by night. */
const PENDANT_SHARE = Object.fromEntries(
  (['day', 'night'] as const).map((when) => [
    when,
    EMERGENCY_MIX[when].find(([t]) => t === 'pendant')![1] / EMERGENCY_MIX[when].reduce((s, [, w]) => s + w, 0),
  ]),
) as Record<'day' | 'night', number>;
/** The pendant's share of all nødkald, over the day's rhythm. */
const PENDANT_SHARE_OVER_THE_DAY =
  NOEDKALD_BY_HOUR.reduce((s, w, h) => s + w * PENDANT_SHARE[isNightHour(h) ? 'night' : 'day'], 0) / 24;

/** An accidental press is cancelled on the device within a minute (ASSUMPTION: 5–60 s). */
const CANCEL_AFTER_MS = [5 * SECOND, 60 * SECOND] as const;
/**
 * ASSUMPTION: 30 % of the serious ones who cannot speak to the unit press again, 1–4 times, every 2–8
 * minutes, while nobody has come.
 */
const SERIOUS_PRESS_AGAIN = 0.3;
/**
 * ASSUMPTION, what the other devices' alarms truly needed (domain.md gives the handling, not the shares):
 * smoke mostly cooking or a faulty detector (a false alarm, cleared by a call), a seizure sensor mostly real, the dementia sensors
 * mostly settled by a call (a wandering sensor at night more often needs someone: 35 %, by day 15 %), a
 * missed dose a reminder, a planned call not answered a visit one time in five, a night look not seen
 * twice the night patrol half the time.
 */
const REAL_FIRE = 0.25;
const REAL_SEIZURE = 0.6;
const SENSOR_VISIT: Record<'bed_exit' | 'door_open' | 'wandering', { day: number; night: number }> = {
  bed_exit: { day: 0.08, night: 0.12 },
  door_open: { day: 0.05, night: 0.12 },
  wandering: { day: 0.15, night: 0.35 },
};
const SENSOR_FALSE = 0.25;
const DOSE = { visit: 0.05, false: 0.1 };
const PLANNED_UNANSWERED_VISIT = 0.2;
const NIGHT_PATROL = 0.5;

/** Repeat callers: 1 % of service recipients trigger more than 30 alarms a month (Tellu, "hyppig alarmbruk"). */
export const REPEAT_CALLER_SHARE = 0.01;
/**
 * ASSUMPTION: a recipient averages 1.5 nødkald a month and a repeat caller about 40, so the repeat callers
 * make 0.01 × 40 / 1.5 ≈ 27 % of all nødkald. That share, not a per-person rate, is what the model keeps:
 * it holds for a small demo fleet (where every unit stands for many recipients) and a realistic one alike.
 */
export const MEAN_NOEDKALD_PER_RECIPIENT_MONTH = 1.5;
export const REPEAT_CALLER_NOEDKALD_PER_MONTH = 40;
export const REPEAT_CALLERS_SHARE_OF_NOEDKALD =
  (REPEAT_CALLER_SHARE * REPEAT_CALLER_NOEDKALD_PER_MONTH) / MEAN_NOEDKALD_PER_RECIPIENT_MONTH;
/** Repeat callers press only their pendant: their share of the pendant presses. */
export const REPEAT_CALLERS_SHARE_OF_PRESSES = REPEAT_CALLERS_SHARE_OF_NOEDKALD / PENDANT_SHARE_OVER_THE_DAY;

/** First-attempt call failures of 2–20 % make units retry (domain.md, "Bursts and faults"). */
const FIRST_ATTEMPT_FAILURE = [0.02, 0.2] as const;
/** A unit on hold re-sends the same request every 5–20 s (SCAIP snu=4, domain.md). */
const RESEND_AFTER_MS = [5 * SECOND, 20 * SECOND] as const;
/** ASSUMPTION: a unit gives up on a route after three attempts. */
const MAX_ATTEMPTS = 3;

/** ASSUMPTION: a storm cuts 30–80 % of one municipality's units; power returns 1–6 hours later ("hours later"). */
const STORM_SHARE = [0.3, 0.8] as const;
const STORM_RESTORE_AFTER_MS = [1 * HOUR, 6 * HOUR] as const;
/** ASSUMPTION: a storm somewhere in the seven every week or so (Aabenraa's storm surge of October 2023). */
const STORMS_PER_DAY = 0.15;
/** ASSUMPTION: a gateway outage lasts 30 min – 8 h (a vendor's update once delayed alarms 5–24 h, domain.md). */
const OUTAGE_MS = [30 * MINUTE, 8 * HOUR] as const;
/** ASSUMPTION: some gateway of the eight goes down and flushes a backlog every five days or so. */
const GATEWAY_OUTAGES_PER_DAY = 0.2;
/** A batch carries at most 1000 events (contract: POST /v1/alarms/batch). */
const MAX_BATCH = 1000;
/** ASSUMPTION: a registry mistake now and then: an event from a device the registry does not know. */
const UNKNOWN_DEVICE_SHARE = 0.003;

function normalise(weights: number[]): number[] {
  const mean = weights.reduce((s, w) => s + w, 0) / weights.length;
  return weights.map((w) => w / mean);
}

/**
 * Expected initiating events a day for one municipality, all streams together. Follow-ups (cancels,
 * restores, repeated presses, re-sends) add about a third on top; storms and backlogs come on top of that.
 */
export function initiatingEventsPerDay(municipalityId: string): number {
  const scale = municipality(municipalityId).population / REFERENCE_POPULATION;
  return Object.values(STREAMS).reduce((s, st) => s + st.perDay * scale, 0);
}

type Outage = {
  gatewayId: string;
  start: number;
  end: number;
  held: Map<string, { event: GatewayEvent; m: string; truth: TrueOutcome }>;
};

const TECHNICAL: TrueOutcome = { class: 'false_alarm', cause: 'technical' };
type Pending = Send | { kind: 'flush'; at: number; outage: Outage };

/** One generation run: the state behind `traffic()`. */
class Generation {
  readonly rng: Random;
  private readonly pending: Pending[] = [];
  private readonly outages: Outage[] = [];
  private readonly failureRate = new Map<string, number>();
  /** Who presses: a repeat caller (1 % of the units) with probability `heavyShare`, otherwise anyone else. */
  private readonly pressers = new Map<string, { heavy: FleetDevice[]; light: FleetDevice[]; heavyShare: number }>();
  /** Each device's citizen, hidden. */
  private readonly profiles = new Map<string, CitizenProfile>();
  /** The devices of each municipality with each kind of kit beside the pendant. */
  private readonly holders = new Map<string, Map<KitItem, FleetDevice[]>>();
  private readonly byMunicipality = new Map<string, FleetDevice[]>();
  private readonly gateways: string[];
  private serial = 0;

  constructor(private readonly opts: Required<ProfileOptions>) {
    this.rng = seededRandom(opts.seed);
    for (const d of opts.fleet) {
      const list = this.byMunicipality.get(d.municipality) ?? [];
      list.push(d);
      this.byMunicipality.set(d.municipality, list);
    }
    for (const [m, devices] of this.byMunicipality) {
      const heavyCount = Math.max(1, Math.round(devices.length * REPEAT_CALLER_SHARE));
      const heavyOnes = new Set(this.shuffled(devices).slice(0, heavyCount));
      const heavy = devices.filter((d) => heavyOnes.has(d));
      const light = devices.filter((d) => !heavyOnes.has(d));
      // The repeat callers' share of the presses; all of them when there is nobody else.
      const heavyShare = light.length > 0 ? REPEAT_CALLERS_SHARE_OF_NOEDKALD : 1;
      this.pressers.set(m, { heavy, light, heavyShare });
      // Repeat callers' share of the pendant presses (they press nothing else).
      const shares = lightPressShares(heavyShare < 1 ? REPEAT_CALLERS_SHARE_OF_PRESSES : 1);
      for (const d of devices)
        this.profiles.set(d.deviceId, citizenProfile(opts.seed, d.deviceId, heavyOnes.has(d), shares));
      this.holders.set(m, this.kitHolders(devices));
    }
    this.gateways = [...new Set(opts.fleet.map((d) => d.gatewayId))].sort();
    for (const g of this.gateways) this.failureRate.set(g, this.rng.between(...FIRST_ATTEMPT_FAILURE));
  }

  /** Every send in [from, from + 1 h), in time order; follow-ups later than that wait for their hour. */
  *hour(from: number): Generator<Send> {
    const to = from + HOUR;
    const h = localHour(from, this.opts.timeZone);
    for (const m of this.opts.municipalities) {
      if (!this.byMunicipality.has(m.id)) continue;
      const scale = m.population / REFERENCE_POPULATION;
      for (const stream of Object.values(STREAMS) as Stream[]) {
        const n = this.rng.poisson(((stream.perDay * scale) / 24) * stream.byHour[h]!);
        for (let i = 0; i < n; i++) {
          stream.make(this, m.id, from + this.rng.next() * HOUR, h);
        }
      }
    }
    for (let i = this.rng.poisson(this.opts.stormsPerDay / 24); i > 0; i--) this.storm(from + this.rng.next() * HOUR);
    for (let i = this.rng.poisson(this.opts.gatewayOutagesPerDay / 24); i > 0; i--)
      this.outage(from + this.rng.next() * HOUR);

    // Stable sort: a follow-up at the same moment stays behind what it follows.
    this.pending.sort((a, b) => a.at - b.at);
    while (this.pending.length && this.pending[0]!.at < to) {
      const p = this.pending.shift()!;
      if (p.kind === 'flush') yield* this.flush(p.outage, p.at);
      else if (p.kind === 'single' && this.hold(p)) continue;
      else yield p;
    }
  }

  /** The devices with each kind of kit; every municipality has at least one of each. */
  private kitHolders(devices: readonly FleetDevice[]): Map<KitItem, FleetDevice[]> {
    const out = new Map<KitItem, FleetDevice[]>();
    for (const item of ['fall', 'smoke', 'epilepsy', 'dementia'] as const) {
      let holders = devices.filter((d) => this.profiles.get(d.deviceId)!.kit.has(item));
      if (holders.length === 0) {
        const d = this.rng.pick(devices);
        (this.profiles.get(d.deviceId)!.kit as Set<KitItem>).add(item);
        holders = [d];
      }
      out.set(item, holders);
    }
    return out;
  }

  /** The fleet's device behind a device id the registry lacks (the citizen is the same). */
  private readonly origin = new WeakMap<FleetDevice, FleetDevice>();

  private profile(device: FleetDevice): CitizenProfile {
    return this.profiles.get((this.origin.get(device) ?? device).deviceId)!;
  }

  /**
   * A nødkald: its type from the cited mix, then who raises it: a pendant press from a presser (repeat
   * callers make REPEAT_CALLERS_SHARE_OF_NOEDKALD of all nødkald), another type from a citizen whose kit
   * has that device.
   */
  emergency(m: string, at: number, hour: number): void {
    const when = isNightHour(hour) ? 'night' : 'day';
    const type = this.rng.weighted(EMERGENCY_MIX[when]);
    const kit = KIT_OF[type];
    const device = this.device(m, kit ? this.holders.get(m)!.get(kit)! : PENDANT_SHARE[when]);
    const p = this.profile(device);
    const truth = (cls: TrueOutcome['class'], cause: TrueCause): TrueOutcome => ({ class: cls, cause });
    switch (type) {
      case 'pendant':
        return this.pendant(device, at, p);
      case 'fall': {
        const real = this.rng.chance(p.realFall);
        const silent = this.rng.chance(real ? REAL_FALL_SILENT : FALSE_FALL_SILENT);
        // A real fall needs someone to help the citizen up; a false one is cleared, by voice or by phone.
        const t = real ? truth('dispatch', 'real_fall') : truth('false_alarm', 'detector_false');
        this.emit(device, at, { type, voice: silent ? silence(this.rng) : 'connected' }, t);
        return;
      }
      case 'smoke': {
        const real = this.rng.chance(REAL_FIRE);
        const voice = this.rng.chance(real ? 0.7 : 0.35) ? 'unavailable' : 'connected';
        this.emit(
          device,
          at,
          { type, voice },
          real ? truth('dispatch', 'real_fire') : truth('false_alarm', 'detector_false'),
        );
        return;
      }
      case 'epilepsy': {
        const real = this.rng.chance(REAL_SEIZURE);
        const voice = real || this.rng.chance(0.5) ? 'no_answer' : 'connected';
        this.emit(
          device,
          at,
          { type, voice },
          real ? truth('dispatch', 'real_seizure') : truth('false_alarm', 'detector_false'),
        );
        return;
      }
      case 'bed_exit':
      case 'door_open':
      case 'wandering': {
        const visit = this.rng.chance(SENSOR_VISIT[type][when] * (0.5 + 1.25 * p.frailty));
        const t = visit
          ? truth('dispatch', 'sensor_visit')
          : this.rng.chance(SENSOR_FALSE)
            ? truth('false_alarm', 'sensor_false')
            : truth('phone_resolvable', 'sensor_phone');
        const voice: VoiceState = this.rng.chance(visit ? 0.3 : 0.7) ? 'connected' : 'no_answer';
        this.emit(device, at, { type, voice }, t);
        return;
      }
      default:
        this.emit(device, at, { type }, truth('phone_resolvable', 'care_phone'));
    }
  }

  private pendant(device: FleetDevice, at: number, p: CitizenProfile): void {
    const outcome = this.rng.weighted(Object.entries(p.press));
    if (outcome === 'serious') {
      const truth: TrueOutcome = { class: 'dispatch', cause: 'serious' };
      if (!this.rng.chance(SERIOUS_SILENT)) {
        // The citizen can speak but not get up: someone must still go.
        this.emit(device, at, { type: 'pendant', voice: 'connected' }, truth);
        return;
      }
      const voice = silence(this.rng);
      this.emit(device, at, { type: 'pendant', voice }, truth);
      // Repeated presses are a signal: some press again while nobody has come (domain.md, "Repeat callers").
      for (let i = this.rng.chance(SERIOUS_PRESS_AGAIN) ? this.rng.int(1, 4) : 0, t = at; i > 0; i--) {
        t += this.rng.between(2, 8) * MINUTE;
        this.emit(device, t, { type: 'pendant', voice }, truth);
      }
    } else if (outcome === 'care') {
      const visit = this.rng.chance(p.careVisit);
      const truth: TrueOutcome = visit
        ? { class: 'dispatch', cause: 'care_visit' }
        : { class: 'phone_resolvable', cause: 'care_phone' };
      this.emit(device, at, { type: 'pendant', voice: 'connected' }, truth);
    } else {
      const truth: TrueOutcome = { class: 'false_alarm', cause: 'accidental' };
      if (!this.rng.chance(ACCIDENTAL_CANCELLED)) {
        const voice = this.rng.chance(ACCIDENTAL_ANSWERED) ? 'connected' : silence(this.rng);
        this.emit(device, at, { type: 'pendant', voice }, truth);
        return;
      }
      const press = this.emit(device, at, { type: 'pendant', voice: 'connected' }, truth);
      this.emit(
        device,
        at + this.rng.between(...CANCEL_AFTER_MS),
        { type: 'cancel', relatesTo: press.eventId },
        { class: 'false_alarm', cause: 'cancel' },
      );
    }
  }

  medication(device: FleetDevice, at: number): void {
    const x = this.rng.next();
    const truth: TrueOutcome =
      x < DOSE.visit
        ? { class: 'dispatch', cause: 'dose_visit' }
        : x < DOSE.visit + DOSE.false
          ? { class: 'false_alarm', cause: 'dose_false' }
          : { class: 'phone_resolvable', cause: 'dose_phone' };
    this.emit(device, at, { type: 'medication' }, truth);
  }

  /** A technical event or a test: a maintenance matter, never a call. */
  simple(device: FleetDevice, at: number, type: EventType): void {
    this.emit(device, at, { type }, TECHNICAL);
  }

  plannedCall(device: FleetDevice, at: number): void {
    const answered = this.rng.chance(0.9);
    const visit = !answered && this.rng.chance(PLANNED_UNANSWERED_VISIT);
    this.emit(
      device,
      at,
      { type: 'planned_call', voice: answered ? 'connected' : 'no_answer' },
      visit ? { class: 'dispatch', cause: 'planned_visit' } : { class: 'phone_resolvable', cause: 'planned_phone' },
    );
  }

  nightCheck(device: FleetDevice, at: number): void {
    const seen: TrueOutcome = { class: 'phone_resolvable', cause: 'night_seen' };
    this.emit(device, at, { type: 'night_check', details: { attempt: 1 } }, seen);
    // Not seen: retry after about 15 minutes, then the night patrol goes (domain.md, "The call types").
    if (this.rng.chance(0.1))
      this.emit(
        device,
        at + 15 * MINUTE,
        { type: 'night_check', details: { attempt: 2 } },
        this.rng.chance(NIGHT_PATROL) ? { class: 'dispatch', cause: 'night_patrol' } : seen,
      );
  }

  lowBattery(device: FleetDevice, at: number): void {
    this.emit(device, at, { type: 'low_battery', batteryPercent: this.rng.int(3, 20) }, TECHNICAL);
  }

  mainsFailure(device: FleetDevice, at: number, restoredAfterMs: number): void {
    const failure = this.emit(device, at, { type: 'mains_failure' }, TECHNICAL);
    this.emit(device, at + restoredAfterMs, { type: 'mains_restored', relatesTo: failure.eventId }, TECHNICAL);
  }

  /** Power cut to a share of one municipality's units, restored hours later (domain.md, "Bursts and faults"). */
  private storm(at: number): void {
    const present = this.opts.municipalities.filter((m) => this.byMunicipality.has(m.id));
    if (!present.length) return;
    const m = this.rng.weighted(present.map((x) => [x.id, x.population] as const));
    const devices = this.byMunicipality.get(m)!;
    const hit = this.shuffled(devices).slice(0, Math.ceil(devices.length * this.rng.between(...STORM_SHARE)));
    const restoredAt = at + this.rng.between(...STORM_RESTORE_AFTER_MS);
    for (const d of hit) {
      const cut = at + this.rng.between(0, 3) * MINUTE;
      this.mainsFailure(d, cut, restoredAt + this.rng.between(0, 10) * MINUTE - cut);
    }
  }

  /** A gateway goes silent; what its units send meanwhile is flushed as a backlog when it returns. */
  private outage(at: number): void {
    if (!this.gateways.length) return;
    const outage: Outage = {
      gatewayId: this.rng.pick(this.gateways),
      start: at,
      end: at + this.rng.between(...OUTAGE_MS),
      held: new Map(),
    };
    this.outages.push(outage);
    this.pending.push({ kind: 'flush', at: outage.end, outage });
  }

  private hold(send: Extract<Send, { kind: 'single' }>): boolean {
    const outage = this.outages.find((o) => o.gatewayId === send.gatewayId && o.start <= send.at && send.at < o.end);
    if (!outage) return false;
    // A re-send of a held event is the same event: the backlog carries it once.
    if (!outage.held.has(send.event.eventId))
      outage.held.set(send.event.eventId, { event: send.event, m: send.municipality, truth: send.truth });
    return true;
  }

  private *flush(outage: Outage, at: number): Generator<Send> {
    this.outages.splice(this.outages.indexOf(outage), 1);
    const held = [...outage.held.values()];
    for (let i = 0; i < held.length; i += MAX_BATCH) {
      const part = held.slice(i, i + MAX_BATCH);
      yield {
        kind: 'batch',
        at,
        gatewayId: outage.gatewayId,
        municipality: part[0]!.m,
        events: part.map((h) => h.event),
        truths: part.map((h) => h.truth),
      };
    }
  }

  /** One event, plus the unit's re-sends of it when the first attempts fail. */
  private emit(
    device: FleetDevice,
    at: number,
    body: Omit<GatewayEvent, 'eventId' | 'deviceId' | 'occurredAt'>,
    truth: TrueOutcome,
  ) {
    const event: GatewayEvent = {
      eventId: `${this.opts.eventIdPrefix}${device.gatewayId}-${(this.serial++).toString(36)}`,
      deviceId: device.deviceId,
      occurredAt: new Date(at).toISOString(),
      ...body,
    };
    const base = {
      kind: 'single',
      gatewayId: device.gatewayId,
      municipality: device.municipality,
      event,
      truth,
    } as const;
    this.pending.push({ ...base, at, retry: false });
    const failure = this.failureRate.get(device.gatewayId)!;
    for (let attempt = 1, t = at; attempt < MAX_ATTEMPTS && this.rng.chance(failure); attempt++) {
      t += this.rng.between(...RESEND_AFTER_MS);
      this.pending.push({ ...base, at: t, retry: true });
    }
    return event;
  }

  /**
   * Who sends the next event: anyone; for a pendant press (`among` the pendant's share of the hour's
   * nødkald) a repeat caller far more often; for another device one of `among`. Now and then a device the
   * registry lacks.
   */
  device(m: string, among?: number | readonly FleetDevice[]): FleetDevice {
    const p = this.pressers.get(m)!;
    const d =
      among === undefined
        ? this.rng.pick(this.byMunicipality.get(m)!)
        : typeof among !== 'number'
          ? this.rng.pick(among)
          : this.rng.chance(Math.min(1, p.heavyShare / among))
            ? this.rng.pick(p.heavy)
            : this.rng.pick(p.light);
    if (!this.rng.chance(UNKNOWN_DEVICE_SHARE)) return d;
    const unknown = { ...d, deviceId: `DK-UNREG-${this.rng.int(10_000, 99_999)}` };
    this.origin.set(unknown, d);
    return unknown;
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/**
 * The traffic of the fleet's gateways from `start` on, without end, in simulated time order. The same
 * options give the same sends.
 */
export function* traffic(options: ProfileOptions): Generator<Send> {
  const g = new Generation({
    ...options,
    eventIdPrefix: options.eventIdPrefix ?? '',
    stormsPerDay: options.stormsPerDay ?? STORMS_PER_DAY,
    gatewayOutagesPerDay: options.gatewayOutagesPerDay ?? GATEWAY_OUTAGES_PER_DAY,
    timeZone: options.timeZone ?? 'Europe/Copenhagen',
    municipalities: options.municipalities ?? MUNICIPALITIES,
  });
  for (let from = options.start; ; from += HOUR) yield* g.hour(from);
}

/** Monday 5 January 2026, 00:00 in Copenhagen: a fixed default, so a seed alone reproduces a run. */
export const DEFAULT_START = Date.UTC(2026, 0, 4, 23, 0);

export type TrafficOptions = Partial<Omit<ProfileOptions, 'seed'>> & {
  seed: number;
  /** Simulated time per real time: 600 plays ten simulated minutes a second. Default 1. */
  speed?: number;
};

/** One thing to send, and when. */
export type TrafficItem = {
  /** When to send it, in real ms after the run started: the simulated offset divided by the speed. */
  atMs: number;
  /** The simulated moment, ms since the epoch (the clock the events' occurredAt is on). */
  simAt: number;
  municipality: string;
  gatewayId: string;
} & (
  | { event: GatewayEvent; /** A re-send of an eventId sent before. */ retry: boolean; batch?: undefined }
  | { /** A backlog for POST /v1/alarms/batch. */ batch: GatewayEvent[]; event?: undefined; retry?: undefined }
);

/**
 * The simulator's traffic as a schedule: `{atMs, municipality, gatewayId, event | batch}` in time order,
 * without end. Defaults: the demo fleet (services/simulator/registry.ts), DEFAULT_START, speed 1.
 */
export function* createTraffic(options: TrafficOptions): Generator<TrafficItem> {
  const start = options.start ?? DEFAULT_START;
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be positive (got ${speed})`);
  for (const s of traffic({ ...options, start, fleet: options.fleet ?? demoFleet() })) {
    const when = { atMs: (s.at - start) / speed, simAt: s.at, municipality: s.municipality, gatewayId: s.gatewayId };
    yield s.kind === 'batch' ? { ...when, batch: s.events } : { ...when, event: s.event, retry: s.retry };
  }
}
