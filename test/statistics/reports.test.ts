// Monthly rollups, corrections and the frozen monthly report: a month read from its rollup gives the same
// figures as counting its alarms; a decision corrected after the month closed shows at once in the
// figures, and as a difference from the report frozen before it.
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { countMonths, key, readMonthCounts } from '../../db/statistics.js';
import { addMonths, monthOf } from '../../domain/statistics.js';
import { reportList } from '../../domain/statistics-views.js';
import { keepStatistics } from '../../services/statistics/upkeep.js';
import { freezeDueReports } from '../../services/statistics/reports.js';
import { consoleFixture, newAlarm, storeAlarms } from '../console/helpers.js';
import { insertPastAlarms } from './history.js';

const fx = consoleFixture();

/** The fixture's month: three months ago, so it has ended and is within the reports' catch-up. */
const NOW = monthOf(new Date());
const PAST = addMonths(NOW, -3);
const BEFORE = addMonths(PAST, -1);
const LAST = addMonths(NOW, -1);
const { get, post } = fx;

let pressed: string[] = [];

beforeAll(async () => {
  const db = fx.te.rt.db;
  // Registered before the fixture's month, so it and every month since are due a report.
  await sql`UPDATE municipalities SET created_at = ${`${BEFORE}-15T00:00:00Z`}::timestamptz`.execute(db);
  pressed = await insertPastAlarms(db, [
    { municipality: 'aabenraa', type: 'pendant', receivedAt: `${PAST}-03T08:00:00Z`, claimedAfter: 10, outcome: 'false_alarm', triage: 'false_alarm' },
    { municipality: 'aabenraa', type: 'pendant', receivedAt: `${PAST}-04T08:00:00Z`, claimedAfter: 70, outcome: 'phone_resolvable', triage: 'false_alarm' },
    { municipality: 'aabenraa', type: 'fall', receivedAt: `${PAST}-05T08:00:00Z`, claimedAfter: 20, outcome: 'dispatch', triage: 'dispatch', dispatch: { requestedAfter: 60, arrivedAfter: 60 + 25 * 60 } },
    { municipality: 'toender', type: 'pendant', receivedAt: `${PAST}-06T08:00:00Z`, triage: 'phone_resolvable' },
  ]); // prettier-ignore
});

const february = async (user: 'sup-all' | 'ana-toe' | 'admin', m = 'aabenraa') => {
  const r = await get(user, `/v1/stats/monthly?municipality=${m}&from=${PAST}&to=${PAST}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().months[0];
};

describe('monthly rollups', () => {
  it('store each ended month once it has settled, and give the same figures as counting the alarms', async () => {
    const db = fx.te.rt.db;
    const before = await february('sup-all');
    const counted = await countMonths(db, ['aabenraa', 'toender'], BEFORE, LAST);
    // Rounds until nothing is left to roll up (each stores a bounded batch); the first also freezes the
    // reports that are due.
    let frozen = 0;
    for (let i = 0, done = { rolledUp: 1, frozen: 0 }; i < 20 && done.rolledUp > 0; i++) {
      done = await keepStatistics(db);
      frozen += done.frozen;
    }
    expect(frozen).toBeGreaterThan(0);
    const read = await readMonthCounts(db, ['aabenraa', 'toender'], BEFORE, LAST);
    expect(read.source.get(key('aabenraa', PAST))).toBe('rollup');
    expect(read.source.get(key('toender', PAST))).toBe('rollup');
    for (const [k, c] of counted) expect(read.counts.get(k), k).toEqual(c);
    expect(await february('sup-all')).toEqual(before);
  });

  it('never roll up the current month: it is always counted from the alarms', async () => {
    const db = fx.te.rt.db;
    const now = NOW;
    await keepStatistics(db);
    const read = await readMonthCounts(db, ['aabenraa'], now, now);
    expect(read.source.get(key('aabenraa', now))).toBe('alarms');
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 3));
    const r = await get('sup-all', `/v1/stats/monthly?municipality=aabenraa&from=${now}&to=${now}`);
    expect(r.json().months[0].outcomes.unresolved).toBeGreaterThanOrEqual(1);
    expect(id).toBeTruthy();
  });
});

describe('a decision corrected after the month closed', () => {
  it('is refused to operators and analysts (403), outside the scope (404), and while the alarm is open (409)', async () => {
    const [open] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 5));
    const body = { outcome: 'dispatch', note: 'it was a fall after all' };
    expect((await post('op-both', `/v1/alarms/${pressed[0]}/correct`, body)).statusCode).toBe(403);
    expect((await post('ana-toe', `/v1/alarms/${pressed[0]}/correct`, body)).statusCode).toBe(403);
    expect((await post('sup-all', `/v1/alarms/${open}/correct`, body)).statusCode).toBe(409);
    expect((await post('sup-all', `/v1/alarms/${pressed[0]}/correct`, { outcome: 'dispatch' })).statusCode).toBe(400);
    expect((await post('sup-all', `/v1/alarms/not-a-uuid/correct`, body)).statusCode).toBe(404);
  });

  it('shows at once in the figures, is recorded with who and why, and shows as a difference from the frozen report', async () => {
    const db = fx.te.rt.db;
    // Frozen by the worker's round above: nothing is frozen twice.
    expect(await freezeDueReports(db)).toBe(0);
    const answer = (await get('ana-toe', `/v1/stats/reports?municipality=toender&month=${PAST}`)).json();
    expect(reportList.safeParse(answer).error).toBeUndefined();
    const frozen = answer.reports;
    expect(frozen).toHaveLength(1);
    expect(frozen[0]).toMatchObject({ changed: false, correctionsSinceFrozen: 0, figures: { total: 1 } });

    const before = await february('sup-all');
    expect(before).toMatchObject({ outcomes: { false_alarm: 1, phone_resolvable: 1, dispatch: 1 }, corrections: 0 });
    const r = await post('sup-all', `/v1/alarms/${pressed[0]}/correct`, {
      outcome: 'phone_resolvable',
      note: 'the citizen needed help with the door',
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: pressed[0], outcome: 'phone_resolvable', status: 'resolved' });
    // The same again records nothing new.
    expect(
      (await post('sup-all', `/v1/alarms/${pressed[0]}/correct`, { outcome: 'phone_resolvable', note: 'again' }))
        .statusCode,
    ).toBe(200);
    const recorded = await db.selectFrom('alarm_corrections').selectAll().execute();
    expect(recorded).toEqual([
      expect.objectContaining({
        alarm_id: pressed[0],
        previous_outcome: 'false_alarm',
        outcome: 'phone_resolvable',
        corrected_by: 'sup-all',
        note: 'the citizen needed help with the door',
      }),
    ]);

    // The month had a rollup: the correction marked it stale, so it is counted from the alarms at once.
    const stale = await readMonthCounts(db, ['aabenraa'], PAST, PAST);
    expect(stale.source.get(key('aabenraa', PAST))).toBe('alarms');
    const after = await february('sup-all');
    expect(after).toMatchObject({
      outcomes: { false_alarm: 0, phone_resolvable: 2, dispatch: 1 },
      falseAlarmRate: 0,
      triageAgreement: 0.3333,
      corrections: 1,
    });
    // The worker rolls it up again; the figures stay.
    await keepStatistics(db);
    const again = await readMonthCounts(db, ['aabenraa'], PAST, PAST);
    expect(again.source.get(key('aabenraa', PAST))).toBe('rollup');
    expect(await february('sup-all')).toEqual(after);

    // The report keeps the month as frozen and shows the live figures beside it.
    const [report] = (await get('sup-all', `/v1/stats/reports?municipality=aabenraa&month=${PAST}`)).json().reports;
    expect(report).toMatchObject({
      municipality: 'aabenraa',
      month: PAST,
      changed: true,
      correctionsSinceFrozen: 1,
      figures: { outcomes: { false_alarm: 1, phone_resolvable: 1 }, corrections: 0 },
      live: { outcomes: { false_alarm: 0, phone_resolvable: 2 }, corrections: 1 },
      settings: { visitMinutes: 45, visitCostDkk: 400 },
    });
    expect(Date.parse(report.frozenAt)).toBeLessThanOrEqual(Date.now());
    // The correction is on the live feed's log like any change of the alarm.
    const logged = await db.selectFrom('changes').select('payload').where('entity_id', '=', pressed[0]!).execute();
    expect(logged.map((c) => (c.payload as { outcome: string }).outcome)).toContain('phone_resolvable');
  });

  it('keeps the settings a report was frozen with, whatever the registry says later', async () => {
    const put = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: { authorization: `Bearer ${fx.tokens.admin}` },
      payload: {
        municipalities: [{ id: 'aabenraa', name: 'Aabenraa', code: '580', visitMinutes: 60, visitCostDkk: 500 }],
      },
    });
    expect(put.statusCode).toBe(200);
    const [report] = (await get('sup-all', `/v1/stats/reports?municipality=aabenraa&month=${PAST}`)).json().reports;
    expect(report.settings).toMatchObject({ visitMinutes: 45, visitCostDkk: 400 });
    // Two presses settled without a visit (the fall was dispatched).
    expect(report.figures.effect).toMatchObject({ visitsAvoided: 2, visitStaffHours: 1.5, visitDkk: 800 });
    expect(report.live.effect).toMatchObject({ visitsAvoided: 2, visitStaffHours: 2, visitDkk: 1000 });
    const monthly = await february('sup-all');
    expect(monthly.effect).toMatchObject({ visitStaffHours: 2, visitDkk: 1000 });
    const listed = (await get('sup-all', '/v1/municipalities')).json().municipalities;
    expect(listed.find((m: { id: string }) => m.id === 'aabenraa')).toMatchObject({
      visitMinutes: 60,
      visitCostDkk: 500,
      nightVisitMinutes: 30,
      nightVisitCostDkk: 350,
      falseAlarmTargetRate: null,
      shareStatistics: true,
    });
  });
});

describe('GET /v1/stats/reports', () => {
  it('lists the last twelve months’ reports as JSON or CSV, within the scope only', async () => {
    const list = (await get('ana-toe', '/v1/stats/reports')).json().reports;
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.every((r: { municipality: string }) => r.municipality === 'toender')).toBe(true);
    expect((await get('ana-toe', '/v1/stats/reports?municipality=aabenraa')).statusCode).toBe(404);
    const csv = await get('sup-all', `/v1/stats/reports?municipality=aabenraa&month=${PAST}&format=csv`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, row] = csv.body.split('\r\n');
    expect(header!.startsWith('municipality,name,month,frozenAt,correctionsSinceFrozen,changed,total,')).toBe(true);
    expect(row).toMatch(new RegExp(`^aabenraa,Aabenraa,${PAST},[^,]+,1,true,3,`));
  });

  it('serves a report as PDF, and 404 for a month not frozen yet', async () => {
    const pdf = await get('sup-all', `/v1/stats/reports/pdf?municipality=aabenraa,toender&month=${PAST}`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.rawPayload.toString('latin1')).toContain('/Count 2'); // a page per municipality
    expect((await get('sup-all', '/v1/stats/reports/pdf?municipality=aabenraa&month=2030-01')).statusCode).toBe(404);
    expect((await get('sup-all', '/v1/stats/reports/pdf?municipality=aabenraa')).statusCode).toBe(400);
    expect((await get('ana-toe', `/v1/stats/reports/pdf?municipality=aabenraa&month=${PAST}`)).statusCode).toBe(404);
  });
});

describe('dispatch arrival', () => {
  it('is recorded the first time a dispatch reaches arrived, and kept when it completes', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 7));
    const resolved = await post('op-both', `/v1/alarms/${id}/resolve`, { outcome: 'dispatch' });
    const dispatchId = resolved.json().dispatch.id as string;
    const arrivedAt = async () =>
      (
        await fx.te.rt.db
          .selectFrom('dispatches')
          .select('arrived_at')
          .where('id', '=', dispatchId)
          .executeTakeFirstOrThrow()
      ).arrived_at;
    await post('plan-aab', `/v1/dispatches/${dispatchId}/status`, { status: 'en_route' });
    expect(await arrivedAt()).toBeNull();
    await post('plan-aab', `/v1/dispatches/${dispatchId}/status`, { status: 'arrived' });
    const first = await arrivedAt();
    expect(first).toBeInstanceOf(Date);
    await post('plan-aab', `/v1/dispatches/${dispatchId}/status`, { status: 'completed' });
    expect(await arrivedAt()).toEqual(first);
  });
});
