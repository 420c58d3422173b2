// `npm run seed:history`: a tiny history (a tenth of a year, two municipalities) loaded into a database of
// the test's own, as an operator would run it: the registry, the alarms and dispatches are consistent, the
// monthly rollups are built, and the statistics over the history equal the naive query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countMonths, key, readMonthCounts } from '../../db/statistics.js';
import { monthFigures } from '../../domain/statistics.js';
import { municipalitiesFor, recipientsIn } from '../../services/simulator/population.js';
import { ownLines, run, type Exit } from '../admin/run-cli.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

let te: TestEnv;
let first: Exit;
const seed = (te: TestEnv) =>
  run(
    'node_modules/.bin/tsx',
    ['bin/seed-history.ts', '--years', '0.1', '--municipalities', '2', '--end', '2026-11-15T00:00:00Z'],
    { DATABASE_URL: te.config.databaseUrl },
    120_000,
  );

beforeAll(async () => {
  te = await createTestEnv();
  first = await seed(te);
}, 150_000);
afterAll(() => te?.close());

const count = async (sql: string) => Number((await te.rt.pool.query(sql)).rows[0].n);

describe('npm run seed:history', () => {
  it('loads the registry, alarms with decisions and dispatches with arrivals, reporting progress and rate', async () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/alarms .*\d+ alarms, \d+ dispatches .*\/s/);
    const [aabenraa, toender] = municipalitiesFor(2);
    expect(await count('SELECT count(*) AS n FROM municipalities')).toBe(2);
    expect(await count('SELECT count(*) AS n FROM citizens')).toBe(recipientsIn(aabenraa!) + recipientsIn(toender!));
    expect(await count('SELECT count(*) AS n FROM devices d JOIN citizens c ON c.id = d.citizen_id')).toBe(
      await count('SELECT count(*) AS n FROM citizens'),
    );
    const alarms = await count('SELECT count(*) AS n FROM alarms');
    expect(first.stdout).toContain(`${alarms.toLocaleString('en-US')} alarms`);
    // Aabenraa and Tønder: about 200 alarms a day together; 36.5 days.
    expect(alarms).toBeGreaterThan(5000);
    expect(alarms).toBeLessThan(11000);
    // Every resolved alarm has its decision, claim and times in order; every dispatch belongs to a dispatch decision.
    expect(
      await count(`SELECT count(*) AS n FROM alarms WHERE status = 'resolved' AND NOT (
                     outcome IS NOT NULL AND claimed_at >= received_at AND resolved_at >= claimed_at AND triaged_at > received_at)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*) AS n FROM dispatches d JOIN alarms a ON a.id = d.alarm_id
                   WHERE a.outcome <> 'dispatch' OR d.requested_at <> a.resolved_at OR d.arrived_at <= d.requested_at`),
    ).toBe(0);
    expect(await count('SELECT count(*) AS n FROM dispatches')).toBeGreaterThan(0);
    // No alarm after the end, none on the live feed's log (history is not replayed to consoles).
    expect(await count(`SELECT count(*) AS n FROM alarms WHERE received_at >= '2026-11-15T00:00:00Z'`)).toBe(0);
    expect(await count('SELECT count(*) AS n FROM changes')).toBe(0);
    // The demo logins whose scope fits: admin and supervisor (all) and Tønder's analyst.
    const users = (await te.rt.pool.query('SELECT username FROM users ORDER BY username')).rows.map((r) => r.username);
    expect(users).toEqual(expect.arrayContaining(['admin', 'analyst-toender', 'supervisor']));
  });

  it('builds the rollups, and the statistics over the history equal the naive query', async () => {
    const ms = ['aabenraa', 'toender'];
    const naive = await countMonths(te.rt.db, ms, '2026-10', '2026-11');
    const served = await readMonthCounts(te.rt.db, ms, '2026-10', '2026-11');
    for (const m of ms)
      for (const month of ['2026-10', '2026-11']) {
        expect(served.source.get(key(m, month)), `${m} ${month}`).toBe('rollup');
        expect(served.counts.get(key(m, month)), `${m} ${month}`).toEqual(naive.get(key(m, month)));
      }
    // Realistic: answer times near the TSA targets, most decisions as triage advised (not all: a press a call
    // may not settle is advised dispatch, domain/triage.ts VISIT_RISK_DISPATCH, and most are then settled
    // by phone), repeat callers present.
    const settings = {
      answerTargetSeconds: 60,
      visitMinutes: 45,
      visitCostDkk: 400,
      nightVisitMinutes: 30,
      nightVisitCostDkk: 350,
      falseAlarmTargetRate: null,
    };
    const oct = monthFigures('2026-10', naive.get(key('aabenraa', '2026-10'))!, settings);
    expect(oct.answeredWithin60s).toBeGreaterThan(0.93);
    expect(oct.triageAgreement).toBeGreaterThan(0.5);
    expect(oct.triageAgreement).toBeLessThan(0.95);
    expect(oct.repeatCallers).toBeGreaterThan(0);
    expect(oct.medianMinutesToArrival).toBeGreaterThan(10);
    expect(oct.effect.visitsAvoided).toBeGreaterThan(0);
  });

  it('refuses a database that already holds alarms, and changes nothing', async () => {
    const before = await count('SELECT count(*) AS n FROM alarms');
    const again = await seed(te);
    expect(again.code).toBe(1);
    expect(ownLines(again.stderr).at(-1)).toBe('the database already holds alarms: load a history into an empty one');
    expect(await count('SELECT count(*) AS n FROM alarms')).toBe(before);
  });

  it('refuses bad arguments with a usage line', async () => {
    const bad = await run('node_modules/.bin/tsx', ['bin/seed-history.ts', '--municipalities', '99'], {
      DATABASE_URL: te.config.databaseUrl,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--municipalities must be a whole number 1–98');
  });
});
