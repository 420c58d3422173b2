// The citizens' hidden profiles and the true outcomes of their calls, calibrated on domain.md: a year of
// Aabenraa-size (its realistic fleet, a fixed seed) gives about its 24,920 nødkald, about 6 % of pendant
// presses serious and half care, the repeat callers' heavy tail, fall detectors mostly false, and voice
// states, cancels and repeated presses consistent with the truth.
import { describe, expect, it } from 'vitest';
import { EMERGENCY_TYPES } from '../../domain/events.js';
import {
  citizenProfile,
  KIT_SHARE,
  lightPressShares,
  PENDANT_OUTCOMES,
  type TrueOutcome,
} from '../../services/simulator/citizens.js';
import { municipality } from '../../services/simulator/municipalities.js';
import { historyFleet } from '../../services/simulator/population.js';
import {
  REPEAT_CALLERS_SHARE_OF_NOEDKALD,
  REPEAT_CALLERS_SHARE_OF_PRESSES,
  traffic,
  type GatewayEvent,
} from '../../services/simulator/profile.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1) - 3_600_000;
const aabenraa = municipality('aabenraa');
const fleet = historyFleet([aabenraa]);

type Call = { at: number; event: GatewayEvent; truth: TrueOutcome };

/** Every event of a year once (re-sends left out), with its truth. */
function year(seed: number): Call[] {
  const out: Call[] = [];
  const seen = new Set<string>();
  for (const s of traffic({ seed, start: START, fleet, municipalities: [aabenraa], stormsPerDay: 0.03 })) {
    if (s.at >= START + 365 * DAY) break;
    const items =
      s.kind === 'single'
        ? [{ event: s.event, truth: s.truth }]
        : s.events.map((event, i) => ({ event, truth: s.truths[i]! }));
    for (const { event, truth } of items) {
      if (seen.has(event.eventId)) continue;
      seen.add(event.eventId);
      out.push({ at: s.at, event, truth });
    }
  }
  return out;
}

const calls = year(2026);
const noedkald = calls.filter((c) => EMERGENCY_TYPES.has(c.event.type));
const presses = noedkald.filter((c) => c.event.type === 'pendant');
/** A serious press's repeated presses (same device, within 40 minutes) are the same call. */
const firstPresses = (() => {
  const lastSerious = new Map<string, number>();
  return presses.filter((c) => {
    if (c.truth.cause !== 'serious') return true;
    const before = lastSerious.get(c.event.deviceId);
    lastSerious.set(c.event.deviceId, c.at);
    return before === undefined || c.at - before > 40 * 60_000;
  });
})();
const share = <T>(items: readonly T[], p: (x: T) => boolean) => items.filter(p).length / items.length;

describe('hidden citizen profiles', () => {
  it('are deterministic from the seed and the device id, and differ between citizens', () => {
    const light = lightPressShares(REPEAT_CALLERS_SHARE_OF_NOEDKALD);
    const a = citizenProfile(7, 'DK-AAB-00001', false, light);
    expect(citizenProfile(7, 'DK-AAB-00001', false, light)).toEqual(a);
    expect(citizenProfile(8, 'DK-AAB-00001', false, light)).not.toEqual(a);
    expect(citizenProfile(7, 'DK-AAB-00002', false, light)).not.toEqual(a);
    for (const k of ['frailty', 'accidentalPress', 'practicalNeeds'] as const) {
      expect(a[k]).toBeGreaterThanOrEqual(0);
      expect(a[k]).toBeLessThan(1);
    }
    expect(a.press.serious + a.press.care + a.press.accidental).toBeCloseTo(1, 9);
  });

  it('average to the cited pendant outcomes over a population, repeat callers included', () => {
    const light = lightPressShares(REPEAT_CALLERS_SHARE_OF_PRESSES);
    const profiles = Array.from({ length: 20_000 }, (_, i) => citizenProfile(3, `DK-X-${i}`, false, light));
    const mean = (f: (p: (typeof profiles)[number]) => number) =>
      profiles.reduce((s, p) => s + f(p), 0) / profiles.length;
    const heavy = citizenProfile(3, 'DK-X-heavy', true, light);
    const r = REPEAT_CALLERS_SHARE_OF_PRESSES;
    const overall = (k: 'serious' | 'care' | 'accidental') => r * heavy.press[k] + (1 - r) * mean((p) => p.press[k]);
    expect(Math.abs(overall('serious') - PENDANT_OUTCOMES.serious)).toBeLessThan(0.005);
    expect(Math.abs(overall('care') - PENDANT_OUTCOMES.care)).toBeLessThan(0.02);
    expect(Math.abs(overall('accidental') - PENDANT_OUTCOMES.accidental)).toBeLessThan(0.02);
    expect(Math.abs(mean((p) => (p.kit.has('fall') ? 1 : 0)) - KIT_SHARE.fall)).toBeLessThan(0.01);
    // Over the detectors' alarms: those who have one.
    const holders = profiles.filter((p) => p.kit.has('fall'));
    expect(Math.abs(holders.reduce((s, p) => s + p.realFall, 0) / holders.length - 0.3)).toBeLessThan(0.015);
  });
});

describe('a simulated year of Aabenraa, calibrated on domain.md', () => {
  it('has about its 24,920 nødkald (68 a day), each call from a device of the fleet or an unknown one', () => {
    // The initiating nødkald: a serious press's repeated presses are the same call.
    const initiating = noedkald.length - (presses.length - firstPresses.length);
    expect(initiating).toBeGreaterThan(24_920 * 0.97);
    expect(initiating).toBeLessThan(24_920 * 1.03);
  });

  it('has about 6 % of pendant presses serious, about half care, the rest accidental and mostly cancelled', () => {
    const cause = (c: string) => share(firstPresses, (p) => p.truth.cause === c);
    expect(cause('serious')).toBeGreaterThan(0.05);
    expect(cause('serious')).toBeLessThan(0.07);
    expect(cause('care_visit') + cause('care_phone')).toBeGreaterThan(0.47);
    expect(cause('care_visit') + cause('care_phone')).toBeLessThan(0.53);
    expect(cause('accidental')).toBeGreaterThan(0.41);
    expect(cause('accidental')).toBeLessThan(0.47);
    // Care is mostly settled by phone: a visit for about one in five.
    const visits = cause('care_visit') / (cause('care_visit') + cause('care_phone'));
    expect(visits).toBeGreaterThan(0.15);
    expect(visits).toBeLessThan(0.25);
    // About 90 % of accidental presses are cancelled on the device, and every cancel is of one.
    const cancelled = new Set(calls.filter((c) => c.event.type === 'cancel').map((c) => c.event.relatesTo));
    const accidental = firstPresses.filter((p) => p.truth.cause === 'accidental');
    expect(share(accidental, (p) => cancelled.has(p.event.eventId))).toBeGreaterThan(0.87);
    expect(share(accidental, (p) => cancelled.has(p.event.eventId))).toBeLessThan(0.93);
    for (const c of calls.filter((x) => x.event.type === 'cancel')) expect(c.truth.class).toBe('false_alarm');
    const byId = new Map(presses.map((p) => [p.event.eventId, p]));
    for (const id of cancelled) expect(byId.get(id!)?.truth.cause).toBe('accidental');
  });

  it('gives voice states consistent with the truth: silence far more often serious', () => {
    const silent = (c: Call) => c.event.voice === 'no_answer' || c.event.voice === 'unavailable';
    const seriousWhen = (p: (c: Call) => boolean) => share(firstPresses.filter(p), (c) => c.truth.class === 'dispatch');
    expect(seriousWhen(silent)).toBeGreaterThan(0.7);
    expect(seriousWhen((c) => !silent(c))).toBeLessThan(0.15);
    // Repeated presses come from serious calls that cannot speak to the unit.
    const repeats = presses.filter((p) => !firstPresses.includes(p));
    expect(repeats.length).toBeGreaterThan(100);
    for (const r of repeats) expect(silent(r)).toBe(true);
  });

  it('makes fall detectors mostly false, and a silent fall more often real', () => {
    const falls = noedkald.filter((c) => c.event.type === 'fall');
    expect(falls.length).toBeGreaterThan(1500);
    expect(share(falls, (c) => c.truth.cause === 'real_fall')).toBeGreaterThan(0.25);
    expect(share(falls, (c) => c.truth.cause === 'real_fall')).toBeLessThan(0.35);
    const silent = falls.filter((c) => c.event.voice !== 'connected');
    expect(silent.length / falls.length).toBeGreaterThan(0.35);
    expect(silent.length / falls.length).toBeLessThan(0.45);
    const real = (xs: Call[]) => share(xs, (c) => c.truth.class === 'dispatch');
    expect(real(silent)).toBeGreaterThan(2 * real(falls.filter((c) => c.event.voice === 'connected')));
  });

  it('has the repeat callers’ heavy tail: about 1 % of recipients above 30 nødkald a month', () => {
    const perMonth = new Map<string, number>();
    for (const c of noedkald) {
      const key = `${c.event.deviceId} ${new Date(c.at).getUTCMonth()}`;
      perMonth.set(key, (perMonth.get(key) ?? 0) + 1);
    }
    const above30 = [...perMonth.values()].filter((n) => n > 30).length / 12 / fleet.length;
    expect(above30).toBeGreaterThan(0.006);
    expect(above30).toBeLessThan(0.014);
    // They make about REPEAT_CALLERS_SHARE_OF_NOEDKALD of all nødkald.
    const perDevice = new Map<string, number>();
    for (const c of noedkald) perDevice.set(c.event.deviceId, (perDevice.get(c.event.deviceId) ?? 0) + 1);
    const top = [...perDevice.values()].sort((a, b) => b - a).slice(0, Math.round(fleet.length / 100));
    const topShare = top.reduce((s, n) => s + n, 0) / noedkald.length;
    expect(topShare).toBeGreaterThan(REPEAT_CALLERS_SHARE_OF_NOEDKALD - 0.04);
    expect(topShare).toBeLessThan(REPEAT_CALLERS_SHARE_OF_NOEDKALD + 0.04);
  });

  it('makes technical events, tests and cancels false alarms, and only nødkald and their kin need someone', () => {
    for (const c of calls) {
      if (['low_battery', 'mains_failure', 'mains_restored', 'tamper', 'test'].includes(c.event.type))
        expect(c.truth).toEqual({ class: 'false_alarm', cause: 'technical' });
    }
    const dispatch = share(noedkald, (c) => c.truth.class === 'dispatch');
    // 6 % serious plus a fifth of half the presses, plus real falls, fires, seizures and sensor visits.
    expect(dispatch).toBeGreaterThan(0.14);
    expect(dispatch).toBeLessThan(0.22);
  });

  it('is the same year for the same seed', () => {
    const again = year(2026);
    expect(again.length).toBe(calls.length);
    expect(again.slice(0, 2000)).toEqual(calls.slice(0, 2000));
    expect(again.map((c) => c.truth.cause)).toEqual(calls.map((c) => c.truth.cause));
  });
});
