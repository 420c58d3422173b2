// Planned calls and night checks in the statistics, against figures worked out by hand:
// - the answer-time figures (within 60 s, 180 s, the target, median, p90) are about the alarms received,
//   not the centre's planned work, which is measured against its window: the same from the alarms, the
//   monthly rollup and a month-to-date cut, in JSON, CSV and the console's live centre status;
// - a frozen monthly report carries the month's planned work as it stood when frozen, beside today's,
//   and its PDF prints them for a month that has any; a report frozen before reports kept them shows
//   none, and its answer times as they were frozen.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { countMonths, key, readMonthCounts } from '../../db/statistics.js';
import { localToInstant } from '../../domain/planned.js';
import { addCounts, addMonths, monthOf } from '../../domain/statistics.js';
import { reportList } from '../../domain/statistics-views.js';
import type { CentreStatus } from '../../services/console/schemas.js';
import { keepStatistics } from '../../services/statistics/upkeep.js';
import { consoleFixture } from '../console/helpers.js';
import { after, pdfTexts } from '../support/pdf-text.js';
import { insertPastAlarms, insertPastOccurrences } from './history.js';

const fx = consoleFixture();
const { get } = fx;

/** Three months ago: ended, settled, due a report. */
const NOW = monthOf(new Date());
const PAST = addMonths(NOW, -3);
const BEFORE = addMonths(PAST, -1);
/** A month with a report frozen before reports kept planned work (written by hand below). */
const OLD = addMonths(PAST, -2);

let openItem = '';

beforeAll(async () => {
  const db = fx.te.rt.db;
  await sql`UPDATE municipalities SET created_at = ${`${BEFORE}-15T00:00:00Z`}::timestamptz`.execute(db);
  // Aabenraa's month: three alarms a citizen raised, claimed after 10, 100 and 200 s; two due items the
  // centre raised (a planned call claimed 10 min after its due time, a night check after 20 min); and a
  // device check-in (a planned_call from a gateway) that settled a call by itself, never claimed.
  await insertPastAlarms(db, [
    { municipality: 'aabenraa', type: 'pendant', receivedAt: `${PAST}-10T08:00:00Z`, claimedAfter: 10, outcome: 'false_alarm' },
    { municipality: 'aabenraa', type: 'fall', receivedAt: `${PAST}-10T09:00:00Z`, claimedAfter: 100, outcome: 'dispatch' },
    { municipality: 'aabenraa', type: 'pendant', receivedAt: `${PAST}-10T10:00:00Z`, claimedAfter: 200, outcome: 'phone_resolvable' },
    { municipality: 'aabenraa', type: 'planned_call', receivedAt: `${PAST}-11T08:00:00Z`, claimedAfter: 600, outcome: 'phone_resolvable' },
    { municipality: 'aabenraa', type: 'night_check', receivedAt: `${PAST}-11T01:00:00Z`, claimedAfter: 1200, outcome: 'phone_resolvable' },
    { municipality: 'aabenraa', type: 'planned_call', receivedAt: `${PAST}-12T08:05:00Z`, outcome: 'phone_resolvable' },
  ]); // prettier-ignore
  // Aabenraa's occurrences: by the local month of the due time, the first minute of the month in, the
  // last minute of the month before out, a cancelled one out.
  const monthStart = localToInstant(`${PAST}-01`, '00:00');
  const c = 'c-aabenraa-0';
  const ids = await insertPastOccurrences(db, [
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: `${PAST}-12T08:00:00Z`, status: 'done', answeredAfter: 600 },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: monthStart.toISOString(), status: 'done', answeredAfter: 60 },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: `${PAST}-13T08:00:00Z`, status: 'done', answeredAfter: 2400, dispatched: true },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: `${PAST}-14T08:00:00Z`, status: 'missed', answeredAfter: 60, dispatched: true },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: `${PAST}-15T08:00:00Z`, status: 'raised' },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: `${PAST}-16T08:00:00Z`, status: 'cancelled' },
    { municipality: 'aabenraa', citizen: c, kind: 'planned_call', dueAt: new Date(monthStart.getTime() - 60_000).toISOString(), status: 'done', answeredAfter: 60 },
    { municipality: 'aabenraa', citizen: c, kind: 'night_check', dueAt: `${PAST}-11T01:00:00Z`, windowMinutes: 15, status: 'done', answeredAfter: 300 },
    { municipality: 'aabenraa', citizen: c, kind: 'night_check', dueAt: `${PAST}-12T01:00:00Z`, windowMinutes: 15, status: 'done', answeredAfter: 120, dispatched: true },
  ]); // prettier-ignore
  openItem = ids[4]!;
});

/** Aabenraa's month by hand. */
const PLANNED = {
  planned_call: { total: 5, onTime: 2, late: 1, missed: 1, open: 1, dispatched: 2 },
  night_check: { total: 2, onTime: 2, late: 0, missed: 0, open: 0, dispatched: 1 },
};
const NONE = {
  planned_call: { total: 0, onTime: 0, late: 0, missed: 0, open: 0, dispatched: 0 },
  night_check: { total: 0, onTime: 0, late: 0, missed: 0, open: 0, dispatched: 0 },
};
/**
 * Six counted alarms, five claimed. The answer times are the three alarms': 10, 100 and 200 s, so one of
 * three within 60 s (and within Aabenraa's 60-second target), two within 180 s, the median 100 s, the
 * p90 the third of three, 200 s. Over all six they would have been 1/6, 2/6, a median of 200 s and a
 * p90 of 1,200 s: the planned work would have pulled the TSA compliance down by half.
 */
const ANSWERS = {
  total: 6,
  answered: 5,
  answeredWithin60s: 0.3333,
  answeredWithin180s: 0.6667,
  answeredWithinTarget: 0.3333,
  medianSecondsToAnswer: 100,
  p90SecondsToAnswer: 200,
  byType: { pendant: 2, fall: 1, planned_call: 2, night_check: 1 },
};

const month = async (m = 'aabenraa') => {
  const r = await get('sup-all', `/v1/stats/monthly?municipality=${m}&from=${PAST}&to=${PAST}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().months[0];
};

describe('answer-time figures', () => {
  it('leave out planned calls and night checks, from the alarms, the rollup and a month-to-date cut alike', async () => {
    const db = fx.te.rt.db;
    const counted = await month();
    expect(counted).toMatchObject({ ...ANSWERS, plannedWork: PLANNED });
    expect((await readMonthCounts(db, ['aabenraa'], PAST, PAST)).source.get(key('aabenraa', PAST))).toBe('alarms');

    // CSV: the same figures, and the planned work's columns.
    const csv = await get('sup-all', `/v1/stats/monthly?municipality=aabenraa&from=${PAST}&to=${PAST}&format=csv`);
    const [header, row] = csv.body
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const at = (name: string) => row![header!.indexOf(name)];
    expect(at('answeredWithin60s')).toBe('0.3333');
    expect(at('answeredWithin180s')).toBe('0.6667');
    expect(at('medianSecondsToAnswer')).toBe('100');
    expect(at('p90SecondsToAnswer')).toBe('200');
    expect(at('answered')).toBe('5');
    expect(at('plannedWork.planned_call.onTime')).toBe('2');
    expect(at('plannedWork.planned_call.dispatched')).toBe('2');
    expect(at('plannedWork.night_check.total')).toBe('2');

    // A month-to-date cut in the middle of the due items: the two parts add up to the whole.
    const cut = `${PAST}-11T04:00:00Z`;
    const whole = (await countMonths(db, ['aabenraa'], PAST, PAST)).get(key('aabenraa', PAST))!;
    const before = (await countMonths(db, ['aabenraa'], PAST, PAST, { before: cut })).get(key('aabenraa', PAST))!;
    const since = (await countMonths(db, ['aabenraa'], PAST, PAST, { since: cut })).get(key('aabenraa', PAST))!;
    expect(before).toMatchObject({ total: 4, answerable: 3 });
    expect(since).toMatchObject({ total: 2, answerable: 0 });
    expect(addCounts(before, since)).toEqual(whole);
    expect(whole).toMatchObject({
      total: 6,
      answered: 5,
      answerable: 3,
      answerSeconds: [
        [10, 1],
        [100, 1],
        [200, 1],
      ],
    });

    // The worker rolls the month up (and freezes its report): read from the rollup, the same figures.
    for (let i = 0, done = { rolledUp: 1 }; i < 20 && done.rolledUp > 0; i++) done = await keepStatistics(db);
    expect((await readMonthCounts(db, ['aabenraa'], PAST, PAST)).source.get(key('aabenraa', PAST))).toBe('rollup');
    expect(await month()).toEqual(counted);
  });

  it('in the live centre status leave them out too', async () => {
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
    // Tønder's last hour: a press claimed after 10 s; a planned call claimed after 5 min (inside its
    // window); a night check nobody has claimed 10 min after its due time. One of one in time.
    await insertPastAlarms(fx.te.rt.db, [
      { municipality: 'toender', type: 'pendant', receivedAt: ago(900), claimedAfter: 10, outcome: 'false_alarm' },
      { municipality: 'toender', type: 'planned_call', receivedAt: ago(600), claimedAfter: 300, outcome: 'phone_resolvable' },
      { municipality: 'toender', type: 'night_check', receivedAt: ago(600) },
    ]); // prettier-ignore
    const r = await get('sup-all', '/v1/centre');
    expect(r.statusCode, r.body).toBe(200);
    const toender = (r.json() as CentreStatus).municipalities.find((m) => m.id === 'toender')!;
    expect(toender.answeredWithin60s.lastHour).toBe(1);
  });
});

describe('a frozen monthly report', () => {
  it('carries the month’s planned work as frozen, beside today’s; settled later, it shows as changed', async () => {
    const reports = async (m: string, at = PAST) => {
      const r = await get('sup-all', `/v1/stats/reports?municipality=${m}&month=${at}`);
      expect(r.statusCode, r.body).toBe(200);
      expect(reportList.safeParse(r.json()).error).toBeUndefined();
      return r.json().reports;
    };
    const [frozen] = await reports('aabenraa');
    expect(frozen).toMatchObject({
      changed: false,
      figures: { ...ANSWERS, plannedWork: PLANNED },
      live: { ...ANSWERS, plannedWork: PLANNED },
    });
    const [quiet] = await reports('toender');
    expect(quiet).toMatchObject({ changed: false, figures: { plannedWork: NONE }, live: { plannedWork: NONE } });

    // The call that was open when the month was frozen is settled now, after its window.
    await sql`UPDATE care_occurrences SET status = 'done', answered_at = window_ends_at + interval '1 hour',
                result = 'reached_well', settled_by = 'operator', settled_at = now()
              WHERE id = ${openItem}`.execute(fx.te.rt.db);
    const [later] = await reports('aabenraa');
    expect(later.changed).toBe(true);
    expect(later.correctionsSinceFrozen).toBe(0);
    expect(later.figures.plannedWork).toEqual(PLANNED);
    expect(later.live.plannedWork.planned_call).toEqual({ ...PLANNED.planned_call, late: 2, open: 0 });

    // The report's CSV holds the frozen figures.
    const csv = await get('sup-all', `/v1/stats/reports?municipality=aabenraa&month=${PAST}&format=csv`);
    const [header, row] = csv.body
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(row![header!.indexOf('plannedWork.planned_call.open')]).toBe('1');
    expect(row![header!.indexOf('answeredWithin60s')]).toBe('0.3333');
  });

  it('prints them in its PDF, frozen and today, only for a month that has any, on one page each', async () => {
    const pdf = await get('sup-all', `/v1/stats/reports/pdf?municipality=aabenraa,toender&month=${PAST}`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.toString('latin1')).toContain('/Count 2');
    const texts = pdfTexts(pdf.rawPayload);
    expect(texts.filter((t) => t.startsWith('Månedsrapport:'))).toEqual([
      expect.stringContaining('Aabenraa'),
      expect.stringContaining('Tønder'),
    ]);
    // Only Aabenraa's page has the section (Tønder's month had none).
    expect(texts.filter((t) => t === 'Planlagte opkald og natlige tilsyn')).toHaveLength(1);
    expect(texts.indexOf('Planlagte opkald og natlige tilsyn')).toBeLessThan(
      texts.findIndex((t) => t.includes('Tønder')),
    );
    expect(after(texts, 'Planlagte opkald i måneden', 2)).toEqual(['5', '5']);
    expect(after(texts, '  til tiden / for sent / ikke truffet / ikke afsluttet', 2)).toEqual([
      '2 / 1 / 1 / 1',
      '2 / 2 / 1 / 0',
    ]);
    expect(after(texts, 'Natlige tilsyn i måneden', 2)).toEqual(['2', '2']);
    expect(after(texts, '  til tiden / for sent / ikke set / ikke afsluttet', 2)).toEqual([
      '2 / 0 / 0 / 0',
      '2 / 0 / 0 / 0',
    ]);
    // The answer times are the alarms': one of three within 60 s.
    const within60 = texts.find((t) => t.startsWith('Besvaret inden for 60 s'))!;
    expect(after(texts, within60, 2).map((t) => t.replace(/\s/g, ' '))).toEqual(['33,3 %', '33,3 %']);
  });

  it('frozen before reports kept planned work shows none, and its answer times as they were frozen', async () => {
    const db = fx.te.rt.db;
    // The month: two presses claimed after 30 and 90 s, and a planned call claimed 10 minutes after its due time.
    const [, second] = await insertPastAlarms(db, [
      { municipality: 'aabenraa', type: 'pendant', receivedAt: `${OLD}-10T08:00:00Z`, claimedAfter: 30, outcome: 'false_alarm' },
      { municipality: 'aabenraa', type: 'pendant', receivedAt: `${OLD}-11T08:00:00Z`, claimedAfter: 90, outcome: 'phone_resolvable' },
      { municipality: 'aabenraa', type: 'planned_call', receivedAt: `${OLD}-12T08:00:00Z`, claimedAfter: 600, outcome: 'phone_resolvable' },
    ]); // prettier-ignore
    // Its report as the first version of the counts stored it: every counted alarm in the answer times
    // (30, 90 and 600 s over 3), no planned work.
    const now = (await countMonths(db, ['aabenraa'], OLD, OLD)).get(key('aabenraa', OLD))!;
    const { answerable: _answerable, ...v1 } = {
      ...now,
      version: 1,
      answerSeconds: [
        [30, 1],
        [90, 1],
        [600, 1],
      ],
    };
    await sql`INSERT INTO stats_reports (municipality_id, month, counts, settings)
              SELECT 'aabenraa', ${`${OLD}-01`}::date, ${JSON.stringify(v1)}::jsonb, settings
              FROM stats_reports WHERE municipality_id = 'aabenraa' AND month = ${`${PAST}-01`}::date`.execute(db);
    const report = async () =>
      (await get('sup-all', `/v1/stats/reports?municipality=aabenraa&month=${OLD}`)).json().reports[0];
    const old = await report();
    expect(old.figures.plannedWork).toBeUndefined();
    expect(old.live.plannedWork).toEqual(NONE);
    // As frozen: 1 of 3 within 60 s, 2 of 3 within 180 s, the median 90 s and the p90 600 s; today the two
    // presses only: 1 of 2, 2 of 2, 30 s and 90 s. Not "changed" for that: nothing was decided otherwise.
    expect(old.figures).toMatchObject({
      total: 3,
      answeredWithin60s: 0.3333,
      answeredWithin180s: 0.6667,
      medianSecondsToAnswer: 90,
      p90SecondsToAnswer: 600,
    });
    expect(old.live).toMatchObject({
      total: 3,
      answeredWithin60s: 0.5,
      answeredWithin180s: 1,
      medianSecondsToAnswer: 30,
      p90SecondsToAnswer: 90,
    });
    expect(old.changed).toBe(false);
    const pdf = await get('sup-all', `/v1/stats/reports/pdf?municipality=aabenraa&month=${OLD}`);
    expect(pdf.statusCode).toBe(200);
    expect(pdfTexts(pdf.rawPayload)).not.toContain('Planlagte opkald og natlige tilsyn');
    // A decision that differs now still shows.
    await sql`UPDATE alarms SET outcome = 'dispatch' WHERE id = ${second}::uuid`.execute(db);
    expect((await report()).changed).toBe(true);
  });
});
