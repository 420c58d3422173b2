// The current month from its month-to-date rollup plus today's alarms equals the naive GROUP BY over the
// raw alarms, on random data, with "today" moved by the clock the statistics take (`at`): a daylight-
// saving day in spring (23 hours) and in autumn (25 hours), a month's last day, and a month's first day
// (no month-to-date rollup yet). At each: alarms today and earlier this month, repeat callers crossing
// the threshold of 30 across the cut, incidents spanning it, a correction of an earlier day (stale, so
// counted from the alarms, then stored again), a decision and an arrival today for alarms of an earlier
// day, and alarms arriving after the rollup was stored. Then: the rollup is stored once across two
// workers, a transaction that began before the cut holds it back, and with the real clock a change to
// today's alarms leaves no stale mark while one to an earlier day's does.
// STATS_SEED repeats a run (the seed is printed on failure).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { correctOutcome } from '../../db/corrections.js';
import { resolveAlarm } from '../../db/decisions.js';
import {
  countMonths,
  key,
  readMonthCounts,
  settledBefore,
  storeMonthToDate,
  type MonthSource,
} from '../../db/statistics.js';
import { EVENT_TYPES, TRIAGE_CLASSES, type TriageClass } from '../../domain/events.js';
import { addMonths, emptyCounts, monthOf, type Month } from '../../domain/statistics.js';
import { seededRandom } from '../../services/simulator/random.js';
import { keepStatistics } from '../../services/statistics/upkeep.js';
import { consoleAppFixture } from '../console/helpers.js';
import { insertPastAlarms, type PastAlarm } from './history.js';

const SEED = Number(process.env.STATS_SEED ?? Date.now() % 1_000_000);
const fx = consoleAppFixture();
const MS = ['aabenraa', 'toender'];
const HOUR = 3_600_000;

/** A "today" to test: the request's time and the start of its day in Copenhagen time. */
type Day = { what: string; at: string; dayStart: string; monthStart: string };
// In time order: each day's upkeep rolls up the months before it, as the worker would have.
const DAYS: Day[] = [
  { what: 'a month’s last day', at: '2026-01-31T23:30:00+01:00', dayStart: '2026-01-31T00:00:00+01:00', monthStart: '2026-01-01T00:00:00+01:00' },
  { what: 'the spring daylight-saving day', at: '2026-03-29T14:00:00+02:00', dayStart: '2026-03-29T00:00:00+01:00', monthStart: '2026-03-01T00:00:00+01:00' },
  { what: 'a month’s first day', at: '2026-06-01T09:00:00+02:00', dayStart: '2026-06-01T00:00:00+02:00', monthStart: '2026-06-01T00:00:00+02:00' },
  { what: 'the autumn daylight-saving day', at: '2026-10-25T20:00:00+01:00', dayStart: '2026-10-25T00:00:00+02:00', monthStart: '2026-10-01T00:00:00+02:00' },
]; // prettier-ignore

const iso = (t: number) => new Date(t).toISOString();

/** Random alarms of a day's month up to its `at`, many near the start of the day; some held back. */
function alarmsFor(day: Day, rng: ReturnType<typeof seededRandom>) {
  const start = Date.parse(day.monthStart);
  const cut = Date.parse(day.dayStart);
  const at = Date.parse(day.at);
  const incidents = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const early: PastAlarm[] = [];
  const late: PastAlarm[] = [];
  const one = (receivedAt: number): PastAlarm => {
    const claimed = rng.chance(0.8);
    const resolved = claimed && rng.chance(0.85);
    const outcome = rng.pick(TRIAGE_CLASSES);
    return {
      municipality: rng.pick(MS),
      type: rng.chance(0.4) ? 'pendant' : rng.chance(0.2) ? 'night_check' : rng.pick(EVENT_TYPES),
      receivedAt: iso(receivedAt),
      citizen: rng.chance(0.1) ? null : rng.pick(['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7', 'c-8']),
      triage: rng.chance(0.1) ? null : rng.pick(TRIAGE_CLASSES),
      ...(claimed ? { claimedAfter: Math.round(rng.between(0, 250) * 10) / 10 } : {}),
      ...(resolved ? { outcome } : {}),
      // Incidents shared across the cut (and across municipalities and types).
      incident: rng.chance(0.3) ? rng.pick(incidents) : randomUUID(),
      ...(resolved && outcome === 'dispatch'
        ? { dispatch: { requestedAfter: 300, ...(rng.chance(0.6) ? { arrivedAfter: 300 + rng.int(60, 3600) } : {}) } }
        : {}),
    };
  };
  for (let i = 0; i < 260; i++) {
    const near = rng.chance(0.4);
    const t = near ? cut + rng.between(-3, 3) * HOUR : start + rng.next() * (at - start);
    if (t < start || t >= at) continue;
    // Of today's alarms, half arrive only after the month-to-date rollup was stored.
    (t >= cut && rng.chance(0.5) ? late : early).push(one(t));
  }
  // Repeat callers (more than 30 counted alarms in the month), each a pendant press an hour apart.
  const presses = (citizen: string, before: number, today: number) => {
    const out: PastAlarm[] = [];
    for (let i = 0; i < before; i++)
      out.push({
        municipality: 'aabenraa',
        type: 'pendant',
        receivedAt: iso(cut - ((i % 200) + 1) * 600_000),
        citizen,
      });
    for (let i = 0; i < today; i++)
      out.push({ municipality: 'aabenraa', type: 'pendant', receivedAt: iso(cut + (i + 1) * 60_000), citizen });
    return out;
  };
  if (cut > start) {
    early.push(...presses('r-before', 31, 0), ...presses('r-both', 32, 0), ...presses('r-not', 29, 0));
    early.push(...presses('r-cross', 27, 0), ...presses('r-exact', 30, 0));
    late.push(
      ...presses('r-cross', 0, 5),
      ...presses('r-exact', 0, 1),
      ...presses('r-not', 0, 1),
      ...presses('r-both', 0, 2),
    );
  } else early.push(...presses('r-today', 0, 31));
  return { early, late };
}

type Inserted = PastAlarm & { id: string };
const byDay = new Map<string, { early: Inserted[]; late: PastAlarm[] }>();

beforeAll(async () => {
  const rng = seededRandom(SEED);
  for (const day of DAYS) {
    const { early, late } = alarmsFor(day, rng);
    const ids = await insertPastAlarms(fx.te.rt.db, early);
    byDay.set(day.what, { early: early.map((a, i) => ({ ...a, id: ids[i]! })), late });
  }
}, 60_000);

/**
 * The month of `at` and the two before it: served (with `at`) equal to the naive query, key by key.
 * Returns where the served path took municipality `m`'s current month from.
 */
async function expectNaive(day: Day, what: string, m = 'aabenraa'): Promise<MonthSource | undefined> {
  const db = fx.te.rt.db;
  const month: Month = monthOf(Date.parse(day.at));
  const from = addMonths(month, -2);
  const served = await readMonthCounts(db, MS, from, month, new Date(day.at));
  const naive = await countMonths(db, MS, from, month);
  const label = `${day.what}, ${what} (STATS_SEED=${SEED})`;
  for (const each of MS)
    for (const mo of [from, addMonths(from, 1), month])
      expect(served.counts.get(key(each, mo)), `${label}: ${each} ${mo}`).toEqual(
        naive.get(key(each, mo)) ?? emptyCounts(),
      );
  return served.source.get(key(m, month));
}

/** Upkeep rounds at `at` until nothing is left to store. */
async function upkeep(at: string) {
  let monthToDate = 0;
  for (let i = 0; i < 20; i++) {
    const done = await keepStatistics(fx.te.rt.db, new Date(at));
    monthToDate += done.monthToDate;
    if (done.rolledUp === 0 && done.monthToDate === 0) break;
  }
  return monthToDate;
}

const staleMarks = async (month: Month) =>
  Number(
    (
      await sql<{ n: string }>`SELECT count(*) AS n FROM stats_stale WHERE month = ${`${month}-01`}::date`.execute(
        fx.te.rt.db,
      )
    ).rows[0]!.n,
  );

describe('the current month from its month-to-date rollup and today’s alarms', () => {
  for (const day of DAYS) {
    it(`equals the naive GROUP BY on ${day.what}`, async () => {
      const db = fx.te.rt.db;
      const data = byDay.get(day.what)!;
      const month = monthOf(Date.parse(day.at));
      const first = Date.parse(day.dayStart) === Date.parse(day.monthStart);
      expect(await expectNaive(day, 'before any upkeep')).toBe('alarms');

      const stored = await upkeep(day.at);
      const rows = await sql<{ m: string; until: Date }>`
        SELECT municipality_id AS m, until FROM stats_month_to_date WHERE month = ${`${month}-01`}::date`.execute(db);
      if (first) {
        // Nothing before today to store: the month is counted from its alarms, today's only.
        expect(stored).toBe(0);
        expect(rows.rows).toEqual([]);
        expect(await expectNaive(day, 'on the first day')).toBe('alarms');
        await insertPastAlarms(db, data.late);
        expect(await expectNaive(day, 'on the first day, more alarms')).toBe('alarms');
        return;
      }
      expect(stored).toBeGreaterThanOrEqual(MS.length);
      for (const m of MS) {
        const row = rows.rows.find((r) => r.m === m);
        expect(row && new Date(row.until).toISOString(), m).toBe(new Date(day.dayStart).toISOString());
      }
      expect(await expectNaive(day, 'from the month-to-date rollup')).toBe('month-to-date');

      // Today goes on after the rollup: more alarms (repeat callers crossing 30 among them), no mark.
      await insertPastAlarms(db, data.late);
      expect(await expectNaive(day, 'with alarms arriving today')).toBe('month-to-date');
      expect(await upkeep(day.at)).toBe(0);

      // A correction of an earlier day's decision: stale, so counted from the alarms, then stored again.
      const rng = seededRandom(SEED + Date.parse(day.at));
      const cut = Date.parse(day.dayStart);
      const earlier = data.early.filter((a) => Date.parse(a.receivedAt) < cut);
      const decided = rng.pick(earlier.filter((a) => a.outcome));
      const outcome = rng.pick(TRIAGE_CLASSES.filter((o) => o !== decided.outcome)) as TriageClass;
      expect((await correctOutcome(db, decided.id, 'sup-all', { outcome, note: 'test' })).outcome).toBe('changed');
      expect(await staleMarks(month)).toBeGreaterThan(0);
      expect(await expectNaive(day, 'after a correction of an earlier day', decided.municipality)).toBe('alarms');
      expect(await upkeep(day.at)).toBeGreaterThanOrEqual(1);
      expect(await staleMarks(month)).toBe(0);
      expect(await expectNaive(day, 'stored again after the correction')).toBe('month-to-date');

      // A decision today for an alarm of an earlier day this month, and an arrival for one.
      const open = earlier.find((a) => a.claimedAfter !== undefined && !a.outcome);
      if (open) {
        const r = await resolveAlarm(db, open.id, 'op-both', { outcome: 'phone_resolvable' });
        expect(r.outcome).toBe('changed');
        expect(await expectNaive(day, 'after a decision today for an earlier day', open.municipality)).toBe('alarms');
      }
      const requested = earlier.find((a) => a.dispatch && a.dispatch.arrivedAfter === undefined);
      if (requested) {
        await sql`UPDATE dispatches SET arrived_at = now(), status = 'arrived' WHERE alarm_id = ${requested.id}`.execute(
          db,
        );
        expect(await expectNaive(day, 'after an arrival today for an earlier day', requested.municipality)).toBe(
          'alarms',
        );
      }
      await upkeep(day.at);
      expect(await expectNaive(day, 'stored again after the decision and the arrival')).toBe('month-to-date');

      // A restart loses nothing: without its rollups the month is counted from the alarms, then stored again.
      await sql`DELETE FROM stats_month_to_date`.execute(db);
      await sql`DELETE FROM stats_month_to_date_citizens`.execute(db);
      expect(await expectNaive(day, 'without the rollups')).toBe('alarms');
      expect(await upkeep(day.at)).toBeGreaterThanOrEqual(MS.length);
      expect(await expectNaive(day, 'rollups stored again')).toBe('month-to-date');
    });
  }

  it('is stored once, however many workers keep the statistics', async () => {
    const day = DAYS[DAYS.length - 1]!;
    const db = fx.te.rt.db;
    await sql`DELETE FROM stats_month_to_date`.execute(db);
    const other = fx.te.runtime().db;
    const results = await Promise.all([
      storeMonthToDate(db, new Date(day.at)),
      storeMonthToDate(other, new Date(day.at)),
      storeMonthToDate(db, new Date(day.at)),
    ]);
    const municipalities = Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM municipalities`.execute(db)).rows[0]!.n,
    );
    const stored = results.map((r) => (r ? r.stored : 0));
    expect(stored.reduce((a, b) => a + b, 0)).toBe(municipalities);
    expect(stored.filter((n) => n > 0)).toHaveLength(1);
    expect(await expectNaive(day, 'stored by one of three')).toBe('month-to-date');
  });

  it('waits for a transaction that began before the cut', async () => {
    const db = fx.te.rt.db;
    const future = new Date('2099-06-15T12:00:00Z');
    const now = monthOf(new Date());
    expect(await settledBefore(db, future)).toBe('2099-06');
    let release!: () => void;
    let begun!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const started = new Promise<void>((r) => (begun = r));
    const open = fx.te
      .runtime()
      .db.transaction()
      .execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        begun();
        await held;
      });
    await started;
    try {
      // Nothing received after that transaction began has settled: the cut stays at or before its day.
      expect(await settledBefore(db, future)).toBe(now);
      const stored = await storeMonthToDate(db, future);
      expect(stored === null || (stored !== false && stored.until.getTime() <= Date.now())).toBe(true);
    } finally {
      release();
      await open;
    }
    expect(await settledBefore(db, future)).toBe('2099-06');
  });

  it('with the real clock, marks a change to an earlier day’s alarm stale and leaves today’s alone', async () => {
    const db = fx.te.rt.db;
    const dayStart = Date.parse(
      (await sql<{ t: Date }>`SELECT stats_open_day_start() AS t`.execute(db)).rows[0]!.t.toISOString(),
    );
    const todays = Math.max(dayStart, Date.now() - 60_000);
    const yesterdays = dayStart - 2 * HOUR;
    const [today, yesterday] = await insertPastAlarms(db, [
      { municipality: 'aabenraa', type: 'pendant', receivedAt: iso(todays), citizen: 'c-1', claimedAfter: 1 },
      { municipality: 'aabenraa', type: 'pendant', receivedAt: iso(yesterdays), citizen: 'c-1', claimedAfter: 1 },
    ]);
    const before = await staleMarks(monthOf(todays));
    expect((await resolveAlarm(db, today!, 'op-both', { outcome: 'false_alarm' })).outcome).toBe('changed');
    expect(await staleMarks(monthOf(todays))).toBe(before);
    const earlier = await staleMarks(monthOf(yesterdays));
    expect((await resolveAlarm(db, yesterday!, 'op-both', { outcome: 'false_alarm' })).outcome).toBe('changed');
    expect(await staleMarks(monthOf(yesterdays))).toBe(earlier + 1);
  });
});
