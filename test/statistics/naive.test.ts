// The statistics agree with the naive query on random data: random alarms over a year (many near month
// ends and daylight-saving changes), random decisions, dispatches and arrivals, then rollups, then
// corrections of ended months. At every step the served figures equal the one GROUP BY over the raw
// alarms (countMonths), and that query equals the same counts worked out here in JavaScript, row by row.
// STATS_SEED repeats a run (the seed is printed on failure).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { correctOutcome } from '../../db/corrections.js';
import { countMonths, key, readMonthCounts, type CountsByMonth } from '../../db/statistics.js';
import { EVENT_TYPES, TRIAGE_CLASSES, type TriageClass } from '../../domain/events.js';
import {
  COUNTED_TYPES,
  EMERGENCY_CALL_TYPES,
  emptyCounts,
  monthOf,
  REPEAT_CALLER_ALARMS,
  type Histogram,
  type MonthCounts,
} from '../../domain/statistics.js';
import { seededRandom } from '../../services/simulator/random.js';
import { keepStatistics } from '../../services/statistics/upkeep.js';
import { consoleAppFixture } from '../console/helpers.js';
import { insertPastAlarms, type PastAlarm } from './history.js';

const SEED = Number(process.env.STATS_SEED ?? Date.now() % 1_000_000);
const fx = consoleAppFixture();
const MUNICIPALITIES = ['aabenraa', 'toender'];
const FROM = '2025-12';
const TO = '2026-11';

/** Instants worth testing: month ends and the two daylight-saving changes of 2026, ± up to two hours. */
const EDGES = ['2026-01-01T00:00:00+01:00', '2026-03-29T02:00:00+01:00', '2026-04-01T00:00:00+02:00',
  '2026-10-25T03:00:00+02:00', '2026-11-01T00:00:00+01:00', '2026-06-30T23:59:59+02:00'].map(Date.parse); // prettier-ignore

type Row = PastAlarm & { id?: string; corrections: number };
const rows: Row[] = [];

beforeAll(async () => {
  const rng = seededRandom(SEED);
  const start = Date.parse('2025-12-01T00:00:00+01:00');
  const end = Date.parse('2026-12-01T00:00:00+01:00');
  const incidents = [randomUUID(), randomUUID(), randomUUID()];
  for (let i = 0; i < 900; i++) {
    const near = rng.chance(0.3);
    const at = near
      ? rng.pick(EDGES) + Math.round(rng.between(-7200, 7200)) * 1000
      : start + rng.next() * (end - start);
    const claimed = rng.chance(0.85);
    const resolved = claimed && rng.chance(0.9);
    const outcome = rng.pick(TRIAGE_CLASSES);
    rows.push({
      municipality: rng.pick(MUNICIPALITIES),
      type: rng.chance(0.5) ? 'pendant' : rng.pick(EVENT_TYPES),
      receivedAt: new Date(at).toISOString(),
      // One citizen presses often in June (a repeat caller), the rest are spread out.
      citizen: rng.chance(0.1) ? null : rng.pick(['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6']),
      triage: rng.chance(0.1) ? null : rng.pick(TRIAGE_CLASSES),
      ...(claimed ? { claimedAfter: Math.round(rng.between(0, 250) * 10) / 10 } : {}),
      ...(resolved ? { outcome } : {}),
      incident: rng.chance(0.2) ? rng.pick(incidents) : randomUUID(),
      ...(resolved && outcome === 'dispatch'
        ? { dispatch: { requestedAfter: 300, ...(rng.chance(0.7) ? { arrivedAfter: 300 + rng.int(60, 3600) } : {}) } }
        : {}),
      corrections: 0,
    });
  }
  for (let i = 0; i < 35; i++)
    rows.push({
      municipality: 'aabenraa',
      type: 'pendant',
      receivedAt: `2026-06-${String((i % 28) + 1).padStart(2, '0')}T12:00:00Z`,
      citizen: 'c-heavy',
      incident: randomUUID(),
      claimedAfter: 3,
      outcome: 'phone_resolvable',
      corrections: 0,
    });
  const ids = await insertPastAlarms(fx.te.rt.db, rows);
  ids.forEach((id, i) => (rows[i]!.id = id));
}, 60_000);

// ---- The reference: the same counts, from the rows, in JavaScript ----

const hourFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  hour: 'numeric',
  hourCycle: 'h23',
  weekday: 'short',
});
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const histogram = (values: number[]): Histogram => {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => a[0] - b[0]);
};

function reference(): CountsByMonth {
  const out: CountsByMonth = new Map();
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = key(r.municipality, monthOf(Date.parse(r.receivedAt)));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [k, all] of groups) {
    const c: MonthCounts = emptyCounts();
    const counted = all.filter((r) => COUNTED_TYPES.includes(r.type));
    const resolved = counted.filter((r) => r.outcome);
    c.total = counted.length;
    for (const o of TRIAGE_CLASSES) c.outcomes[o] = counted.filter((r) => r.outcome === o).length;
    c.outcomes.unresolved = counted.length - resolved.length;
    for (const r of all) c.byType[r.type] = (c.byType[r.type] ?? 0) + 1;
    for (const r of counted) {
      const p = hourFormat.formatToParts(Date.parse(r.receivedAt));
      const day = WEEKDAYS.indexOf(p.find((x) => x.type === 'weekday')!.value);
      c.byWeekdayHour[day]![Number(p.find((x) => x.type === 'hour')!.value) % 24]! += 1;
    }
    const claimed = counted.filter((r) => r.claimedAfter !== undefined);
    c.answered = claimed.length;
    // Answer times: the alarms but the centre's planned work (planned calls and night checks).
    const timed = counted.filter((r) => r.type !== 'planned_call' && r.type !== 'night_check');
    c.answerable = timed.length;
    c.answerSeconds = histogram(
      timed.filter((r) => r.claimedAfter !== undefined).map((r) => Math.ceil(r.claimedAfter!)),
    );
    c.agreement = resolved.filter((r) => r.triage === r.outcome).length;
    for (const r of resolved) c.confusion[r.triage ?? 'untriaged'][r.outcome!] += 1;
    const dispatched = counted.filter((r) => r.dispatch);
    c.dispatches = dispatched.length;
    c.arrivalMinutes = histogram(
      dispatched
        .filter((r) => r.dispatch!.arrivedAfter !== undefined)
        .map((r) => Math.ceil((r.dispatch!.arrivedAfter! - r.dispatch!.requestedAfter) / 60)),
    );
    const perCitizen = new Map<string, number>();
    for (const r of counted) if (r.citizen) perCitizen.set(r.citizen, (perCitizen.get(r.citizen) ?? 0) + 1);
    c.repeatCallers = [...perCitizen.values()].filter((n) => n > REPEAT_CALLER_ALARMS).length;
    const settled = (r: Row) => r.outcome === 'false_alarm' || r.outcome === 'phone_resolvable';
    c.visitsAvoided = new Set(
      all.filter((r) => EMERGENCY_CALL_TYPES.includes(r.type) && settled(r)).map((r) => r.incident),
    ).size;
    c.nightChecksRemote = new Set(
      all.filter((r) => r.type === 'night_check' && settled(r)).map((r) => r.incident),
    ).size;
    c.corrections = counted.reduce((n, r) => n + r.corrections, 0);
    out.set(k, c);
  }
  return out;
}

/** Every month of both municipalities: the naive query, the served path and the reference agree. */
async function expectAgreement(what: string) {
  const db = fx.te.rt.db;
  const naive = await countMonths(db, MUNICIPALITIES, FROM, TO);
  const served = await readMonthCounts(db, MUNICIPALITIES, FROM, TO);
  const expected = reference();
  expect(naive.size, `${what} (STATS_SEED=${SEED})`).toBe(expected.size);
  for (const [k, c] of expected) {
    expect(naive.get(k), `${what}: the naive query, ${k} (STATS_SEED=${SEED})`).toEqual(c);
    expect(served.counts.get(k), `${what}: served, ${k} (STATS_SEED=${SEED})`).toEqual(c);
  }
  return served;
}

describe('statistics on random data', () => {
  it('equal the naive GROUP BY and the reference, counted from the alarms, rolled up, and after corrections', async () => {
    const db = fx.te.rt.db;
    const first = await expectAgreement('before any rollup');
    expect([...first.source.values()].every((s) => s === 'alarms')).toBe(true);

    for (let i = 0; i < 10 && (await keepStatistics(db)).rolledUp > 0; i++);
    const rolled = await expectAgreement('rolled up');
    expect([...rolled.source.values()].filter((s) => s === 'rollup').length).toBeGreaterThan(20);

    // Corrections of decisions in ended months, some twice.
    const rng = seededRandom(SEED + 1);
    const resolved = rows.filter((r) => r.outcome);
    for (let i = 0; i < 25; i++) {
      const r = rng.pick(resolved);
      const outcome = rng.pick(TRIAGE_CLASSES.filter((o) => o !== r.outcome)) as TriageClass;
      const done = await correctOutcome(db, r.id!, 'sup-all', { outcome, note: 'test' });
      expect(done.outcome).toBe('changed');
      r.outcome = outcome;
      r.corrections += 1;
    }
    const corrected = await expectAgreement('after corrections');
    expect([...corrected.source.values()].filter((s) => s === 'alarms').length).toBeGreaterThan(0);

    for (let i = 0; i < 10 && (await keepStatistics(db)).rolledUp > 0; i++);
    const again = await expectAgreement('rolled up again');
    expect([...again.source.values()].filter((s) => s === 'alarms').length).toBe(0);
  });
});
