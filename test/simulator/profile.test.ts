// The simulator's traffic model (pure): rates follow population and the hour of day, follow-ups follow
// what they relate to, re-sends keep their eventId, every event is one ingest accepts, and a seed
// reproduces a run exactly.
import { describe, expect, it } from 'vitest';
import { localHour } from '../../domain/time.js';
import { alarmEvent } from '../../services/ingest/schemas.js';
import {
  createTraffic,
  DEFAULT_START,
  initiatingEventsPerDay,
  MUNICIPALITIES,
  TOTAL_POPULATION,
  type FleetDevice,
  type GatewayEvent,
  type TrafficItem,
  type TrafficOptions,
} from '../../services/simulator/profile.js';
import { demoFleet } from '../../services/simulator/registry.js';

const DAY = 86_400_000;
const EMERGENCY = new Set(['pendant', 'fall', 'smoke', 'epilepsy', 'bed_exit', 'door_open', 'wandering']);

function collect(opts: Partial<TrafficOptions>, days: number): TrafficItem[] {
  const out: TrafficItem[] = [];
  const end = (opts.start ?? DEFAULT_START) + days * DAY;
  for (const item of createTraffic({ seed: 7, ...opts })) {
    if (item.simAt >= end) break;
    out.push(item);
  }
  return out;
}

type Sent = { at: number; gatewayId: string; municipality: string; event: GatewayEvent };
/** Every event once, in the order the gateways first sent it, with when. */
function firstSends(items: TrafficItem[]): Sent[] {
  const seen = new Set<string>();
  const out: Sent[] = [];
  for (const item of items) {
    for (const event of item.batch ?? [item.event]) {
      if (seen.has(`${item.gatewayId}/${event.eventId}`)) continue;
      seen.add(`${item.gatewayId}/${event.eventId}`);
      out.push({ at: item.simAt, gatewayId: item.gatewayId, municipality: item.municipality, event });
    }
  }
  return out;
}

const month = collect({ stormsPerDay: 0, gatewayOutagesPerDay: 0 }, 30);
/** With storms and backlogs, so the relations hold through a flush too. */
const busyMonth = collect({ stormsPerDay: 1, gatewayOutagesPerDay: 2, seed: 11 }, 30);

describe('traffic profile', () => {
  it('models the seven municipalities with their codes and the cited total population', () => {
    expect(MUNICIPALITIES.map((m) => [m.id, m.code])).toEqual([
      ['aabenraa', '580'],
      ['toender', '550'],
      ['soenderborg', '540'],
      ['aeroe', '492'],
      ['ringkoebing-skjern', '760'],
      ['favrskov', '710'],
      ['vesthimmerland', '820'],
    ]);
    expect(MUNICIPALITIES.reduce((s, m) => s + m.population, 0)).toBe(TOTAL_POPULATION);
  });

  it('is the same traffic for the same seed, and different traffic for another', () => {
    const a = collect({ seed: 42 }, 2);
    expect(a.length).toBeGreaterThan(500);
    expect(collect({ seed: 42 }, 2)).toEqual(a);
    expect(collect({ seed: 43 }, 2)).not.toEqual(a);
  });

  it('sends a daily volume per municipality in proportion to its population over a month', () => {
    const firsts = firstSends(month);
    const perInhabitant = firsts.length / TOTAL_POPULATION;
    for (const m of MUNICIPALITIES) {
      const mine = firsts.filter((f) => f.municipality === m.id).length;
      // Noise over a month (Poisson, plus clustered follow-ups and repeat callers): within 20 % even for
      // Ærø, with about 15 events a day the smallest.
      expect(mine / m.population / perInhabitant, m.id).toBeGreaterThan(0.8);
      expect(mine / m.population / perInhabitant, m.id).toBeLessThan(1.2);
      // Follow-ups (cancels, restores, repeated presses) come on top of the initiating events.
      expect(mine / 30 / initiatingEventsPerDay(m.id), m.id).toBeGreaterThan(1);
      expect(mine / 30 / initiatingEventsPerDay(m.id), m.id).toBeLessThan(1.5);
    }
  });

  it('gives Aabenraa about its 68 nødkald a day', () => {
    const nødkald = firstSends(month).filter((f) => f.municipality === 'aabenraa' && EMERGENCY.has(f.event.type));
    // 68 initiating, plus the serious ones' repeated presses.
    expect(nødkald.length / 30).toBeGreaterThan(60);
    expect(nødkald.length / 30).toBeLessThan(80);
  });

  it('is quieter at night than in the 08–11 peak, but never silent', () => {
    const nødkald = firstSends(month).filter((f) => EMERGENCY.has(f.event.type));
    const perHour = (from: number, to: number) =>
      nødkald.filter((f) => {
        const h = localHour(f.at, 'Europe/Copenhagen');
        return h >= from && h < to;
      }).length /
      (to - from);
    expect(perHour(1, 5)).toBeGreaterThan(0);
    expect(perHour(8, 11)).toBeGreaterThan(3 * perHour(1, 5));
    expect(perHour(18, 20)).toBeGreaterThan(perHour(1, 5)); // the evening bump
    expect(perHour(18, 20)).toBeLessThan(perHour(8, 11));
  });

  it('relates every cancel to an earlier pendant press of the same device through the same gateway', () => {
    for (const items of [month, busyMonth]) {
      const firsts = firstSends(items);
      const byId = new Map(firsts.map((f) => [`${f.gatewayId}/${f.event.eventId}`, f]));
      const cancels = firsts.filter((f) => f.event.type === 'cancel');
      expect(cancels.length).toBeGreaterThan(1000);
      for (const c of cancels) {
        const press = byId.get(`${c.gatewayId}/${c.event.relatesTo}`);
        expect(press, `${c.event.eventId} relates to ${c.event.relatesTo}`).toBeDefined();
        expect(press!.event.type).toBe('pendant');
        expect(press!.event.deviceId).toBe(c.event.deviceId);
        expect(press!.at).toBeLessThanOrEqual(c.at);
        expect(firsts.indexOf(press!)).toBeLessThan(firsts.indexOf(c));
        const after = Date.parse(c.event.occurredAt) - Date.parse(press!.event.occurredAt);
        expect(after).toBeGreaterThan(0);
        expect(after).toBeLessThanOrEqual(60_000); // within a minute
      }
    }
  });

  it('restores every mains failure later, relating to it, on the same device', () => {
    const firsts = firstSends(busyMonth);
    const byId = new Map(firsts.map((f) => [`${f.gatewayId}/${f.event.eventId}`, f]));
    const restores = firsts.filter((f) => f.event.type === 'mains_restored');
    expect(restores.length).toBeGreaterThan(50);
    for (const r of restores) {
      const failure = byId.get(`${r.gatewayId}/${r.event.relatesTo}`);
      expect(failure?.event.type).toBe('mains_failure');
      expect(failure!.event.deviceId).toBe(r.event.deviceId);
      expect(Date.parse(failure!.event.occurredAt)).toBeLessThan(Date.parse(r.event.occurredAt));
    }
  });

  it('has pendant outcomes of about 6 % serious, half care with voice contact, the rest cancelled', () => {
    const firsts = firstSends(month);
    const presses = firsts.filter((f) => f.event.type === 'pendant');
    const cancelled = new Set(firsts.filter((f) => f.event.type === 'cancel').map((f) => f.event.relatesTo));
    const share = (p: (f: Sent) => boolean) => presses.filter(p).length / presses.length;
    const silent = share((p) => p.event.voice === 'no_answer' || p.event.voice === 'unavailable');
    expect(silent).toBeGreaterThan(0.05); // 6 %, plus the serious ones' repeated presses
    expect(silent).toBeLessThan(0.12);
    const care = share((p) => p.event.voice === 'connected' && !cancelled.has(p.event.eventId));
    expect(care).toBeGreaterThan(0.42);
    expect(care).toBeLessThan(0.55);
    expect(share((p) => cancelled.has(p.event.eventId))).toBeGreaterThan(0.37);
    expect(share((p) => cancelled.has(p.event.eventId))).toBeLessThan(0.48);
  });

  it('re-sends 2–20 % of events under the same eventId, as units do after a failed first attempt', () => {
    const singles = month.filter((i) => !i.batch);
    const resends = singles.filter((i) => i.retry);
    const share = resends.length / (singles.length - resends.length);
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.25);
    const first = new Map<string, TrafficItem>();
    for (const i of singles) if (!i.retry) first.set(`${i.gatewayId}/${i.event!.eventId}`, i);
    for (const r of resends) {
      const original = first.get(`${r.gatewayId}/${r.event!.eventId}`);
      expect(original, r.event!.eventId).toBeDefined();
      expect(r.event).toEqual(original!.event); // the same event, byte for byte
      expect(r.simAt).toBeGreaterThan(original!.simAt);
    }
  });

  it('gives 1 % of recipients more than 30 nødkald a month', () => {
    // A fleet the size of a real one for Aabenraa: 68 nødkald a day at 1.5 per recipient a month.
    const fleet: FleetDevice[] = Array.from({ length: Math.round((68 * 30) / 1.5) }, (_, i) => ({
      deviceId: `DK-AAB-${String(i).padStart(5, '0')}`,
      municipality: 'aabenraa',
      gatewayId: 'gw-aabenraa',
    }));
    const items = collect({ fleet, stormsPerDay: 0, gatewayOutagesPerDay: 0, seed: 9 }, 30);
    const calls = new Map<string, number>();
    for (const f of firstSends(items))
      if (EMERGENCY.has(f.event.type)) calls.set(f.event.deviceId, (calls.get(f.event.deviceId) ?? 0) + 1);
    const above30 = [...calls.values()].filter((n) => n > 30).length / fleet.length;
    expect(above30).toBeGreaterThan(0.006);
    expect(above30).toBeLessThan(0.014);
  });

  it('floods one municipality with mains failures in a storm', () => {
    const failures = firstSends(busyMonth).filter((f) => f.event.type === 'mains_failure');
    const perHour = new Map<string, number>();
    for (const f of failures) {
      const key = `${f.municipality}@${Math.floor(f.at / 3_600_000)}`;
      perHour.set(key, (perHour.get(key) ?? 0) + 1);
    }
    // Far above the background of about one a municipality a day.
    expect(Math.max(...perHour.values())).toBeGreaterThan(8);
  });

  it('flushes a gateway’s backlog as batches of old events when it comes back', () => {
    const batches = busyMonth.filter((i) => i.batch);
    expect(batches.length).toBeGreaterThan(10);
    for (const b of batches) {
      expect(b.batch!.length).toBeGreaterThan(0);
      expect(b.batch!.length).toBeLessThanOrEqual(1000);
      for (const e of b.batch!) expect(Date.parse(e.occurredAt)).toBeLessThan(b.simAt);
    }
    const oldest = Math.max(...batches.flatMap((b) => b.batch!.map((e) => b.simAt - Date.parse(e.occurredAt))));
    expect(oldest).toBeGreaterThan(20 * 60_000);
  });

  it('sends only events the ingest schema accepts, from devices of the fleet or deliberately unknown ones', () => {
    const fleet = new Set(demoFleet().map((d) => d.deviceId));
    let n = 0;
    for (const item of busyMonth) {
      for (const e of item.batch ?? [item.event]) {
        const parsed = alarmEvent.safeParse(e);
        expect(parsed.success, `${JSON.stringify(e)}: ${parsed.error?.message}`).toBe(true);
        expect(fleet.has(e.deviceId) || e.deviceId.startsWith('DK-UNREG-'), e.deviceId).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(20_000);
  });

  it('schedules in time order, compressed by the speed', () => {
    const slow = collect({ seed: 5 }, 1);
    const fast = collect({ seed: 5, speed: 600 }, 1);
    expect(fast.map((i) => i.simAt)).toEqual(slow.map((i) => i.simAt));
    for (let i = 0; i < fast.length; i++) {
      expect(fast[i]!.atMs).toBeCloseTo((fast[i]!.simAt - DEFAULT_START) / 600, 6);
      if (i > 0) expect(fast[i]!.atMs).toBeGreaterThanOrEqual(fast[i - 1]!.atMs);
    }
  });
});
