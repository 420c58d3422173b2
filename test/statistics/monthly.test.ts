// Monthly statistics, by hand: a small fixture whose every figure is worked out below, months and hours
// in Copenhagen time across both daylight-saving changes, unresolved alarms, an empty month, repeat
// callers, scopes, CSV and bad input.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { monthlyStatistics } from '../../domain/statistics-views.js';
import { bearer, consoleFixture } from '../console/helpers.js';
import { insertPastAlarms, type PastAlarm } from './history.js';

const fx = consoleFixture();
const { get } = fx;

const cancelled = randomUUID();
/**
 * Aabenraa, March 2026 (CET until Sunday 29 March 02:00, CEST after). Counted: all but the cancel, the low
 * battery and the test, so 6, 5 of them claimed. Answer times are over the 5 that are not the centre's
 * planned work (the night check is measured against its window): 4 claimed, after 14, 60, 61, 200 s.
 */
const MARCH: PastAlarm[] = [
  // Tuesday 10 March, 10:00 local. Cancelled on the device: the cancel joins its incident.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-03-10T09:00:00Z', claimedAfter: 14, outcome: 'false_alarm', triage: 'false_alarm', incident: cancelled },
  { municipality: 'aabenraa', type: 'cancel', receivedAt: '2026-03-10T09:00:20Z', claimedAfter: 40, outcome: 'false_alarm', triage: 'false_alarm', incident: cancelled },
  // 11:00 local, answered at exactly 60 s: within 60 s.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-03-10T10:00:00Z', claimedAfter: 60, outcome: 'phone_resolvable', triage: 'phone_resolvable' },
  // 12:00 local, 61 s: not within 60, within 180; dispatched after 90 s, arrived 20 minutes later.
  { municipality: 'aabenraa', type: 'fall', receivedAt: '2026-03-10T11:00:00Z', claimedAfter: 61, outcome: 'dispatch', triage: 'dispatch', dispatch: { requestedAfter: 90, arrivedAfter: 90 + 20 * 60 } },
  // Tuesday 31 March 23:59 CEST: still March. Triage said phone, the operator false.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-03-31T21:59:00Z', claimedAfter: 200, outcome: 'false_alarm', triage: 'phone_resolvable' },
  // Sunday 29 March 01:30 CET, just before the change: unresolved, never claimed.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-03-29T00:30:00Z', triage: 'dispatch' },
  // Saturday 21 March 00:30 local: a night check settled by phone.
  { municipality: 'aabenraa', type: 'night_check', receivedAt: '2026-03-20T23:30:00Z', claimedAfter: 30, outcome: 'phone_resolvable', triage: 'phone_resolvable' },
  // Technical and test: counted apart, in no other figure.
  { municipality: 'aabenraa', type: 'low_battery', receivedAt: '2026-03-15T12:00:00Z', claimedAfter: 5, outcome: 'false_alarm', triage: 'false_alarm' },
  { municipality: 'aabenraa', type: 'test', receivedAt: '2026-03-16T12:00:00Z', triage: 'false_alarm' },
]; // prettier-ignore

const OTHER: PastAlarm[] = [
  // Wednesday 1 April 00:30 CEST = 31 March 22:30 UTC: April. Dispatched, the dispatch never arrived.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-03-31T22:30:00Z', claimedAfter: 5, outcome: 'dispatch', triage: 'dispatch', dispatch: { requestedAfter: 20, status: 'cancelled' } },
  // Saturday 31 October 23:30 CET: October. Sunday 1 November 00:30 CET: November.
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-10-31T22:30:00Z', claimedAfter: 10, outcome: 'phone_resolvable' },
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-10-31T23:30:00Z', claimedAfter: 10, outcome: 'phone_resolvable' },
  // Sunday 25 October: 02:30 CEST and, an hour later, 02:30 CET again: both in hour 2.
  { municipality: 'aabenraa', type: 'bed_exit', receivedAt: '2026-10-25T00:30:00Z', claimedAfter: 10, outcome: 'false_alarm' },
  { municipality: 'aabenraa', type: 'bed_exit', receivedAt: '2026-10-25T01:30:00Z', claimedAfter: 10, outcome: 'false_alarm' },
  // Tønder, March: another municipality's figures.
  { municipality: 'toender', type: 'pendant', receivedAt: '2026-03-12T08:00:00Z', claimedAfter: 20, outcome: 'dispatch' },
]; // prettier-ignore

/** June 2026: one citizen with 31 alarms (a repeat caller), one with exactly 30 (not). */
const JUNE: PastAlarm[] = [
  ...Array.from({ length: 31 }, (_, i) => ({ citizen: 'c-aabenraa-0', day: i % 30 })),
  ...Array.from({ length: 30 }, (_, i) => ({ citizen: 'c-aabenraa-2', day: i })),
].map(({ citizen, day }) => ({
  municipality: 'aabenraa',
  type: 'pendant' as const,
  receivedAt: `2026-06-${String(day + 1).padStart(2, '0')}T10:00:00Z`,
  citizen,
  claimedAfter: 10,
  outcome: 'phone_resolvable' as const,
}));

beforeAll(async () => {
  await insertPastAlarms(fx.te.rt.db, [...MARCH, ...OTHER, ...JUNE]);
});

type Month = Record<string, unknown> & { month: string };
const monthsOf = async (user: Parameters<typeof get>[0], query: string) => {
  const r = await get(user, `/v1/stats/monthly?${query}`);
  expect(r.statusCode, r.body).toBe(200);
  // The answer is serialized without a check against its schema (typedJsonSerializer): check it here.
  expect(monthlyStatistics.safeParse(r.json()).error).toBeUndefined();
  return r.json() as { municipality?: string; months: Month[]; municipalities: { id: string; months: Month[] }[] };
};

describe('GET /v1/stats/monthly', () => {
  it('counts a month as worked out by hand: outcomes over resolved alarms, answer times, triage, dispatch, effect', async () => {
    const body = await monthsOf('sup-all', 'municipality=aabenraa&from=2026-03&to=2026-03');
    expect(body.municipality).toBe('aabenraa');
    const march = body.months[0]!;
    expect(march).toMatchObject({
      month: '2026-03',
      total: 6,
      emergencyCalls: 5,
      outcomes: { false_alarm: 2, phone_resolvable: 2, dispatch: 1, unresolved: 1 },
      falseAlarmRate: 0.4,
      phoneResolvableRate: 0.4,
      dispatchRate: 0.2,
      answered: 5,
      answeredWithin60s: 0.4, // 14, 60 of 5 (the night check's 30 s is not an answer time)
      answeredWithin180s: 0.6, // and 61
      answeredWithinTarget: 0.4, // the default target, 60 s
      medianSecondsToAnswer: 60, // the 2nd of 4 (nearest rank)
      p90SecondsToAnswer: 200, // the 4th of 4
      byType: expect.objectContaining({ pendant: 4, fall: 1, night_check: 1, smoke: 0 }),
      technical: expect.objectContaining({ low_battery: 1, mains_failure: 0 }),
      tests: 1,
      cancels: 1,
      triageAgreement: 0.8, // 4 of 5 resolved
      confusion: {
        false_alarm: { false_alarm: 1, phone_resolvable: 0, dispatch: 0 },
        phone_resolvable: { false_alarm: 1, phone_resolvable: 2, dispatch: 0 },
        dispatch: { false_alarm: 0, phone_resolvable: 0, dispatch: 1 },
        untriaged: { false_alarm: 0, phone_resolvable: 0, dispatch: 0 },
      },
      dispatches: 1,
      arrivals: 1,
      medianMinutesToArrival: 20,
      repeatCallers: 0,
      corrections: 0,
      // Three nødkald incidents settled without a visit (the cancel is in its press's incident), one night
      // check: 3 × 45 min and 3 × DKK 400, 1 × 30 min and DKK 350 (the defaults).
      effect: {
        visitsAvoided: 3,
        visitStaffHours: 2.25,
        visitDkk: 1200,
        nightChecksRemote: 1,
        nightStaffHours: 0.5,
        nightDkk: 350,
        staffHours: 2.75,
        dkk: 1550,
      },
    });
  });

  it('places alarms in months and hours by Copenhagen time, across both daylight-saving changes', async () => {
    const body = await monthsOf('sup-all', 'municipality=aabenraa&from=2026-03&to=2026-11');
    const byMonth = new Map(body.months.map((m) => [m.month, m]));
    expect([...byMonth.keys()]).toEqual([
      '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11',
    ]); // prettier-ignore
    expect(byMonth.get('2026-04')).toMatchObject({
      total: 1,
      dispatches: 1,
      arrivals: 0,
      medianMinutesToArrival: null,
    });
    expect(byMonth.get('2026-10')).toMatchObject({ total: 3 });
    expect(byMonth.get('2026-11')).toMatchObject({ total: 1 });
    const march = byMonth.get('2026-03')!;
    const hours = march.byHour as number[];
    expect(hours[10]).toBe(1); // the press, 10:00 CET (its cancel is counted apart)
    expect(hours[23]).toBe(1); // 31 March 23:59 CEST
    expect(hours[1]).toBe(1); // 29 March 01:30 CET
    expect(hours[0]).toBe(1); // 21 March 00:30 CET
    expect(hours.reduce((a, b) => a + b, 0)).toBe(6);
    const week = march.byWeekdayHour as number[][];
    expect(week[1]![10]).toBe(1); // Tuesday
    expect(week[6]![1]).toBe(1); // Sunday
    expect(week[5]![0]).toBe(1); // Saturday
    // The hour that happens twice on 25 October counts both alarms in hour 2 of that Sunday.
    expect((byMonth.get('2026-10')!.byWeekdayHour as number[][])[6]![2]).toBe(2);
  });

  it('answers an empty month as a row of zeros, not a missing row, with no rate where nothing was resolved', async () => {
    const [may] = (await monthsOf('sup-all', 'municipality=aabenraa&from=2026-05&to=2026-05')).months;
    expect(may).toMatchObject({
      month: '2026-05',
      total: 0,
      outcomes: { false_alarm: 0, phone_resolvable: 0, dispatch: 0, unresolved: 0 },
      falseAlarmRate: null,
      answeredWithin60s: null,
      medianSecondsToAnswer: null,
      byHour: Array(24).fill(0),
      effect: expect.objectContaining({ visitsAvoided: 0, dkk: 0 }),
    });
  });

  it('counts citizens with more than 30 alarms in the month as repeat callers, and names none', async () => {
    const r = await get('sup-all', '/v1/stats/monthly?municipality=aabenraa&from=2026-06&to=2026-06');
    expect(r.json().months[0]).toMatchObject({ total: 61, repeatCallers: 1 });
    expect(r.body).not.toContain('c-aabenraa');
  });

  it('lets an analyst read their own municipality; another municipality is answered 404 as if it did not exist', async () => {
    const own = await get('ana-toe', '/v1/stats/monthly?municipality=toender&from=2026-03&to=2026-03');
    expect(own.statusCode).toBe(200);
    expect(own.json().months[0]).toMatchObject({ total: 1, outcomes: { dispatch: 1 } });
    const foreign = await get('ana-toe', '/v1/stats/monthly?municipality=aabenraa&from=2026-03&to=2026-03');
    expect(foreign.statusCode).toBe(404);
    const none = await get('ana-toe', '/v1/stats/monthly?municipality=nowhere&from=2026-03&to=2026-03');
    expect(none.statusCode).toBe(404);
    expect(foreign.json().message).toBe('no such municipality: aabenraa');
    expect(none.json().message).toBe('no such municipality: nowhere');
    // Several, or all: only within the scope; one outside it makes the request 404.
    expect((await get('ana-toe', '/v1/stats/monthly?municipality=toender,aabenraa')).statusCode).toBe(404);
    const all = await get('ana-toe', '/v1/stats/monthly?municipality=all&from=2026-03&to=2026-03');
    expect(all.json().municipalities.map((m: { id: string }) => m.id)).toEqual(['toender']);
  });

  it('shows several municipalities side by side for supervisors and admins; operators and planners are refused', async () => {
    const body = await monthsOf('sup-all', 'municipality=toender,aabenraa&from=2026-03&to=2026-04');
    expect(body.municipality).toBeUndefined();
    expect(body.municipalities.map((m) => [m.id, m.months.map((x) => x.total)])).toEqual([
      ['toender', [1, 0]],
      ['aabenraa', [6, 1]],
    ]);
    const all = await monthsOf('admin', 'municipality=all&from=2026-03&to=2026-03');
    expect(all.municipalities.map((m) => m.id)).toEqual(['aabenraa', 'toender']);
    expect((await get('op-both', '/v1/stats/monthly')).statusCode).toBe(403);
    expect((await get('plan-aab', '/v1/stats/monthly')).statusCode).toBe(403);
  });

  it('defaults to the last twelve months up to the current one', async () => {
    const body = await monthsOf('ana-toe', '');
    const current = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Copenhagen',
      year: 'numeric',
      month: '2-digit',
    })
      .format(new Date())
      .slice(0, 7);
    expect(body.months).toHaveLength(12);
    expect(body.months.at(-1)!.month).toBe(current);
  });

  it('refuses bad input with a 400 that says what is wrong', async () => {
    for (const q of [
      'from=2026-13',
      'from=2026-1',
      'to=26-01',
      'from=2026-05&to=2026-04',
      'from=2000-01&to=2026-12',
      'format=xml',
      'sep=tab',
      'municipality=',
    ]) {
      const r = await get('sup-all', `/v1/stats/monthly?${q}`);
      if (q === 'municipality=') expect(r.statusCode, q).toBe(200);
      else {
        expect(r.statusCode, q).toBe(400);
        expect(r.json().message, q).toBeTruthy();
      }
    }
  });
});

describe('GET /v1/stats/monthly as CSV', () => {
  it('is UTF-8 with a header row and a row per month, by format=csv or Accept: text/csv', async () => {
    const r = await get('sup-all', '/v1/stats/monthly?municipality=aabenraa&from=2026-03&to=2026-05&format=csv');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = r.body.trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    const header = lines[0]!.split(',');
    const march = Object.fromEntries(lines[1]!.split(',').map((v, i) => [header[i], v]));
    expect(march).toMatchObject({
      municipality: 'aabenraa',
      name: 'Aabenraa',
      month: '2026-03',
      total: '6',
      'outcomes.false_alarm': '2',
      falseAlarmRate: '0.4',
      answeredWithin60s: '0.4',
      medianSecondsToAnswer: '60',
      'byType.pendant': '4',
      'byHour.10': '1',
      cancels: '1',
      'effect.dkk': '1550',
      'assumptions.visitCostDkk': '400',
    });
    const may = Object.fromEntries(lines[3]!.split(',').map((v, i) => [header[i], v]));
    expect(may).toMatchObject({ month: '2026-05', total: '0', falseAlarmRate: '' });
    const accepted = await fx.app.inject({
      method: 'GET',
      url: '/v1/stats/monthly?municipality=aabenraa&from=2026-03&to=2026-03',
      headers: { ...bearer(fx.tokens['sup-all']), accept: 'text/csv' },
    });
    expect(accepted.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('has a semicolon dialect for Danish spreadsheets, and quotes names holding a separator or a quote', async () => {
    const put = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(fx.tokens.admin),
      payload: { municipalities: [{ id: 'toender', name: 'Tønder; "Syd", Jylland', code: '550' }] },
    });
    expect(put.statusCode).toBe(200);
    const semi = await get(
      'ana-toe',
      '/v1/stats/monthly?municipality=toender&from=2026-03&to=2026-03&format=csv&sep=semicolon',
    );
    expect(semi.body.startsWith('\uFEFFmunicipality;name;month;total;')).toBe(true);
    const row = semi.body.split('\r\n')[1]!;
    expect(row.startsWith('toender;"Tønder; ""Syd"", Jylland";2026-03;1;')).toBe(true);
    expect(row).toContain(';1;'); // the dispatch rate 1, a whole number
    const comma = await get('ana-toe', '/v1/stats/monthly?municipality=toender&from=2026-03&to=2026-03&format=csv');
    expect(comma.body.split('\r\n')[1]!.startsWith('toender,"Tønder; ""Syd"", Jylland",2026-03,1,')).toBe(true);
    // Decimals: a point between fields separated by commas, a comma between fields separated by semicolons.
    const aab = await get(
      'sup-all',
      '/v1/stats/monthly?municipality=aabenraa&from=2026-03&to=2026-03&format=csv&sep=semicolon',
    );
    expect(aab.body).toContain(';0,4;0,6;0,4;60;'); // within 60 s, 180 s, the target; the target
    await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(fx.tokens.admin),
      payload: { municipalities: [{ id: 'toender', name: 'Tønder', code: '550' }] },
    });
  });
});
