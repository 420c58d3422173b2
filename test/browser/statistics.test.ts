// The statistics page in chromium against the real console: an analyst sees only their municipality, picks a
// range and reads figures worked out by hand below from the charts' tables, downloads the CSV and PNGs, and
// prints on A4; a supervisor of two municipalities sees them side by side. The alarms are written with their
// past timestamps (test/statistics/history.ts), in months long ended, so every figure is fixed.
import { readFile } from 'node:fs/promises';
import type { Download, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { monthOf, addMonths } from '../../domain/statistics.js';
import { insertPastAlarms, insertPastOccurrences, type PastAlarm, type PastOccurrence } from '../statistics/history.js';
import { testRegistry } from '../support/env.js';
import { browserFixture } from './harness.js';

const base = testRegistry();
const registry = {
  ...base,
  municipalities: [
    base.municipalities[0]!,
    {
      ...base.municipalities[1]!,
      // Tønder's own settings, so that every figure below that uses them shows that it does.
      answerTargetSeconds: 30,
      falseAlarmTargetRate: 0.25,
      visitMinutes: 40,
      visitCostDkk: 500,
      nightVisitMinutes: 20,
      nightVisitCostDkk: 300,
    },
  ],
  users: [
    ...base.users,
    {
      username: 'sup-two',
      password: 'pw-sup-two-123',
      role: 'supervisor' as const,
      municipalities: ['aabenraa', 'toender'],
    },
  ],
};

const fx = browserFixture({ registry });

/**
 * Tønder, January to March 2025 (CET, UTC+1). January: 5 counted alarms, decided 1 false, 2 by phone, 1 visit,
 * 1 undecided. Answer times are the 4 that are not planned work (the night check is measured against its
 * window): answered after 20, 45 and 100 s, one never (within 60 s: 2 of 4; 180 s: 3 of 4; Tønder's 30 s:
 * 1 of 4; median the 2nd of 3: 45 s). February: one false alarm answered after 200 s. March: nothing.
 */
const TOENDER: PastAlarm[] = [
  // Monday 6 January, 10:00 and 10:30 local.
  { municipality: 'toender', type: 'pendant', receivedAt: '2025-01-06T09:00:00Z', claimedAfter: 20, outcome: 'false_alarm', triage: 'false_alarm' },
  { municipality: 'toender', type: 'fall', receivedAt: '2025-01-06T09:30:00Z', claimedAfter: 45, outcome: 'dispatch', triage: 'dispatch', dispatch: { requestedAfter: 60 } },
  // Wednesday 8 January 23:00 local.
  { municipality: 'toender', type: 'pendant', receivedAt: '2025-01-08T22:00:00Z', claimedAfter: 100, outcome: 'phone_resolvable' },
  // Thursday 9 January 02:00 local: a night check settled by phone.
  { municipality: 'toender', type: 'night_check', receivedAt: '2025-01-09T01:00:00Z', claimedAfter: 10, outcome: 'phone_resolvable' },
  // Friday 10 January 13:00 local: never answered.
  { municipality: 'toender', type: 'pendant', receivedAt: '2025-01-10T12:00:00Z' },
  // Monday 3 February 10:00 local.
  { municipality: 'toender', type: 'pendant', receivedAt: '2025-02-03T09:00:00Z', claimedAfter: 200, outcome: 'false_alarm' },
]; // prettier-ignore

/** Aabenraa (not the analyst's): January one settled by phone after 30 s, February one false alarm. */
const AABENRAA: PastAlarm[] = [
  { municipality: 'aabenraa', type: 'pendant', receivedAt: '2025-01-15T10:00:00Z', claimedAfter: 30, outcome: 'phone_resolvable' },
  { municipality: 'aabenraa', type: 'bed_exit', receivedAt: '2025-02-20T08:00:00Z', claimedAfter: 90, outcome: 'false_alarm' },
]; // prettier-ignore

/**
 * Tønder's planned calls (window 30 min) and night checks (15 min), by the local month of the due time.
 * January: calls on time (5 min), late (45 min, then a visit) and missed (a visit); checks on time (10 min)
 * and late (20 min), and one cancelled (not counted). February: a call due 1 February 00:30 local (31
 * January 23:30 UTC) on time, a check missed (the night patrol). March: none.
 */
const PLANNED: PastOccurrence[] = [
  { municipality: 'toender', citizen: 'c-toender-1', kind: 'planned_call', dueAt: '2025-01-06T09:00:00Z', status: 'done', answeredAfter: 300 },
  { municipality: 'toender', citizen: 'c-toender-1', kind: 'planned_call', dueAt: '2025-01-07T09:00:00Z', status: 'done', answeredAfter: 2700, dispatched: true },
  { municipality: 'toender', citizen: 'c-toender-1', kind: 'planned_call', dueAt: '2025-01-08T09:00:00Z', status: 'missed', answeredAfter: 60, dispatched: true },
  { municipality: 'toender', citizen: 'c-toender-1', kind: 'planned_call', dueAt: '2025-01-31T23:30:00Z', status: 'done', answeredAfter: 60 },
  { municipality: 'toender', citizen: 'c-toender-3', kind: 'night_check', dueAt: '2025-01-09T01:00:00Z', windowMinutes: 15, status: 'done', answeredAfter: 600 },
  { municipality: 'toender', citizen: 'c-toender-3', kind: 'night_check', dueAt: '2025-01-10T01:00:00Z', windowMinutes: 15, status: 'done', answeredAfter: 1200 },
  { municipality: 'toender', citizen: 'c-toender-3', kind: 'night_check', dueAt: '2025-01-11T01:00:00Z', windowMinutes: 15, status: 'cancelled' },
  { municipality: 'toender', citizen: 'c-toender-3', kind: 'night_check', dueAt: '2025-02-05T01:00:00Z', windowMinutes: 15, status: 'missed', answeredAfter: 60, dispatched: true },
]; // prettier-ignore

beforeAll(async () => {
  await insertPastAlarms(fx.te.rt.db, [...TOENDER, ...AABENRAA]);
  await insertPastOccurrences(fx.te.rt.db, PLANNED);
});

/** A table row's cells as shown, spaces of any kind as one. */
const cells = async (page: Page, selector: string) =>
  (await page.locator(selector).locator('th, td').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());

async function showRange(page: Page, from: string, to: string) {
  await page.getByLabel('Fra måned').fill(from);
  await page.getByLabel('Til måned').fill(to);
  await page.getByRole('button', { name: 'Vis', exact: true }).click();
  await page.locator(`.stats-key tr[data-month="${to}"]`).first().waitFor({ timeout: 10_000 });
}

async function saved(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, void];
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(file) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the checks read of a canvas in the page (this TypeScript has no DOM types). */
type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};

/** How many of the canvas's pixels are drawn (not transparent). */
const drawnPixels = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => {
    const c = el as unknown as Canvas;
    return c
      .getContext('2d')
      .getImageData(0, 0, c.width, c.height)
      .data.filter((v, i) => i % 4 === 3 && v > 0).length;
  });

/** The opacity of the canvas's top left pixel: 0 on screen (no background), 255 on paper (white). */
const cornerAlpha = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => (el as unknown as Canvas).getContext('2d').getImageData(1, 1, 1, 1).data[3]);

/** The scripts the page has loaded so far. */
const scriptsLoaded = (page: Page) =>
  page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((n) => n.endsWith('.js')),
  );
const STATISTICS_CHUNK = /\/assets\/statistics-[\w-]+\.js$/;

describe('the statistics page in chromium', () => {
  it('shows an analyst their municipality’s figures, as CSV and PNG too, and prints on A4 without the controls', async () => {
    const page = await fx.loggedIn('ana-toe', { live: false });
    await page.getByRole('heading', { name: 'Statistik' }).waitFor({ timeout: 10_000 });
    // Only their own municipality to pick, and the last twelve months by default.
    const boxes = page.locator('.stats-municipalities input[type="checkbox"]');
    await boxes.first().waitFor();
    expect(await page.locator('.stats-municipalities label').allInnerTexts()).toEqual(['Tønder (550)']);
    expect(await boxes.first().isChecked()).toBe(true);
    const now = monthOf(new Date());
    expect(await page.getByLabel('Fra måned').inputValue()).toBe(addMonths(now, -11));
    expect(await page.getByLabel('Til måned').inputValue()).toBe(now);
    // No navigation: analysts have one page.
    expect(await page.locator('nav.pages').count()).toBe(0);

    await showRange(page, '2025-01', '2025-03');
    expect(await cells(page, '.stats-key thead tr')).toEqual([
      'Måned', 'Alarmer', 'Fejlalarm', 'Klares pr. telefon', 'Besøg', 'Uafklaret', 'Andel falske alarmer',
      'Besvaret inden 60 s', 'Besvaret inden 180 s', 'Inden for kommunens mål (30 s)', 'Median svartid', 'Udkald',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-key tr[data-month="2025-01"]')).toEqual([
      'jan. 2025', '5', '1', '2', '1', '1', '25,0 %', '50,0 %', '75,0 %', '25,0 %', '45 s', '1',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-key tr[data-month="2025-02"]')).toEqual([
      'feb. 2025', '1', '1', '0', '0', '0', '100,0 %', '0,0 %', '0,0 %', '0,0 %', '200 s', '0',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-key tr[data-month="2025-03"]')).toEqual([
      'mar. 2025', '0', '0', '0', '0', '0', '–', '–', '–', '–', '–', '0',
    ]); // prettier-ignore
    // Over the range: 2 false of 5 decided.
    expect(await cells(page, '.stats-key tr[data-month="total"]')).toEqual([
      'I alt', '6', '2', '2', '1', '1', '40,0 %', '', '', '', '', '1',
    ]); // prettier-ignore

    // Four charts, each drawn and described, each with its figures.
    const canvases = page.locator('.stats-results canvas[role="img"]');
    expect(await canvases.count()).toBe(4);
    for (const section of ['stats-outcomes', 'stats-false-alarms', 'stats-heat-map', 'stats-compliance'])
      expect(await drawnPixels(page, `.${section} canvas`), section).toBeGreaterThan(1000);
    expect(await page.locator('.stats-outcomes canvas').getAttribute('aria-label')).toContain(
      'Udfald pr. måned, Tønder',
    );
    // The heat map's table, opened from the keyboard: Monday 10:00 had three alarms (two in January, one in
    // February), Wednesday 23, Thursday 02 and Friday 13 one each.
    await page.locator('.stats-heat-map summary').focus();
    await page.keyboard.press('Enter');
    const monday = await cells(page, '.stats-heat-map tr[data-weekday="0"]');
    expect(monday[0]).toBe('mandag');
    expect(monday[1 + 10]).toBe('3');
    expect(monday.slice(1).reduce((n, c) => n + Number(c), 0)).toBe(3);
    expect((await cells(page, '.stats-heat-map tr[data-weekday="2"]'))[1 + 23]).toBe('1');
    expect((await cells(page, '.stats-heat-map tr[data-weekday="3"]'))[1 + 2]).toBe('1');
    expect((await cells(page, '.stats-heat-map tr[data-weekday="4"]'))[1 + 13]).toBe('1');
    // The false-alarm rate's target.
    await page.locator('.stats-false-alarms summary').click();
    await page.locator('.stats-false-alarms').getByText('Kommunens mål: 25,0 %').waitFor();

    // The effect: January two nødkald settled without a visit (40 min, DKK 500 each) and a night check done
    // remotely (20 min, DKK 300); February one (the fall was a visit).
    expect(await cells(page, '.stats-effect tr[data-month="2025-01"]')).toEqual([
      'jan. 2025', '2', '1,33', '1.000 kr.', '1', '0,33', '300 kr.', '1,66', '1.300 kr.',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-effect tr[data-month="total"]')).toEqual([
      'I alt', '3', '2', '1.500 kr.', '1', '0,33', '300 kr.', '2,33', '1.800 kr.',
    ]); // prettier-ignore
    const assumptions = await page.locator('.stats-effect .assumptions').innerText();
    expect(assumptions).toContain('Forudsætninger');
    expect(assumptions.replace(/\s+/g, ' ')).toContain('Et besøg tager 40 minutters personaletid og koster 500 kr.');
    expect(assumptions.replace(/\s+/g, ' ')).toContain('nattevagten på 20 minutter til 300 kr.');

    // CSV through the API, with the session's cookie, for Danish spreadsheets by default.
    const csv = await saved(page, () => page.getByRole('button', { name: 'Hent CSV' }).click());
    expect(csv.name).toBe('statistics-550-2025-01-2025-03.csv');
    const text = csv.bytes.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    const header = lines[0]!.split(';');
    const row = (month: string) => {
      const fields = lines.find((l) => l.includes(`;${month};`))!.split(';');
      return (column: string) => fields[header.indexOf(column)];
    };
    const jan = row('2025-01');
    expect([jan('municipality'), jan('name'), jan('total'), jan('outcomes.false_alarm')]).toEqual([
      'toender',
      'Tønder',
      '5',
      '1',
    ]);
    expect([jan('falseAlarmRate'), jan('answeredWithinTarget'), jan('falseAlarmTargetRate')]).toEqual([
      '0,25',
      '0,25',
      '0,25',
    ]);
    expect([jan('effect.visitsAvoided'), jan('effect.dkk'), jan('assumptions.visitMinutes')]).toEqual([
      '2',
      '1300',
      '40',
    ]);
    expect(row('2025-03')('total')).toBe('0');
    // … or with commas.
    await page.getByLabel('CSV-format').selectOption('comma');
    const comma = await saved(page, () => page.getByRole('button', { name: 'Hent CSV' }).click());
    expect(comma.bytes.toString('utf8')).toMatch(/^municipality,name,month,total,/);

    // A chart as PNG, and all of them in one.
    const png = await saved(page, () =>
      page
        .locator('.stats-outcomes')
        .getByRole('button', { name: /Hent PNG/ })
        .click(),
    );
    expect(png.name).toBe('outcomes-550-2025-01-2025-03.png');
    expect(png.bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.bytes.length).toBeGreaterThan(5000);
    const all = await saved(page, () => page.getByRole('button', { name: 'Hent PNG af alle diagrammer' }).click());
    expect(all.name).toBe('statistics-550-2025-01-2025-03.png');
    expect(all.bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(all.bytes.length).toBeGreaterThan(png.bytes.length);
    // The page's charts are back in the screen's colours after the exports (no white behind them).
    expect(await cornerAlpha(page, '.stats-outcomes canvas')).toBe(0);

    // Print: a header saying what and when, no navigation or controls, on A4.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    expect(await page.locator('form.stats-controls').isVisible()).toBe(false);
    expect(await page.locator('.stats-downloads').isVisible()).toBe(false);
    const printed = page.locator('.print-header');
    expect(await printed.isVisible()).toBe(true);
    const heading = (await printed.innerText()).replace(/\s+/g, ' ');
    expect(heading).toContain('Tønder (550)');
    expect(heading).toContain('jan. 2025 – mar. 2025');
    expect(heading).toContain('Udskrevet');
    // The charts at the paper's width, on white.
    const box = await page.locator('.stats-outcomes canvas').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(700);
    await expect.poll(() => cornerAlpha(page, '.stats-outcomes canvas'), { timeout: 10_000 }).toBe(255);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('header.top').isVisible()).toBe(true);
  });

  it('shows a supervisor of two municipalities both side by side, reached from the board', async () => {
    const page = await fx.loggedIn('sup-two');
    await page.locator('table.board').waitFor({ timeout: 10_000 });
    // The board has not loaded the statistics page's chunk (the chart code); opening the page does.
    expect(await scriptsLoaded(page)).not.toContainEqual(expect.stringMatching(STATISTICS_CHUNK));
    const nav = page.getByRole('navigation', { name: 'Sider' });
    await nav.getByRole('link', { name: 'Statistik' }).click();
    await page.getByRole('heading', { name: 'Statistik' }).waitFor({ timeout: 10_000 });
    expect(await scriptsLoaded(page)).toContainEqual(expect.stringMatching(STATISTICS_CHUNK));
    // In Danish order: "Aa" is Å, after Ø.
    expect(await page.locator('.stats-municipalities label').allInnerTexts()).toEqual([
      'Tønder (550)',
      'Aabenraa (580)',
    ]);
    await showRange(page, '2025-01', '2025-03');
    const columns = page.locator('.stats-key .stats-municipality');
    expect(await columns.count()).toBe(2);
    const [a, b] = [await columns.nth(0).boundingBox(), await columns.nth(1).boundingBox()];
    // Side by side: the second column starts to the right of the first, on the same line.
    expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
    expect(Math.abs(b!.y - a!.y)).toBeLessThan(2);
    const aabenraa = page.locator('.stats-key [data-municipality="aabenraa"]');
    expect(await cells(page, '.stats-key [data-municipality="aabenraa"] tr[data-month="2025-01"]')).toEqual([
      'jan. 2025', '1', '0', '1', '0', '0', '0,0 %', '100,0 %', '100,0 %', '100,0 %', '30 s', '0',
    ]); // prettier-ignore
    expect(await aabenraa.locator('th[scope="col"]').allInnerTexts()).toContain('Inden for kommunens mål (60 s)');
    expect((await cells(page, '.stats-key [data-municipality="toender"] tr[data-month="2025-01"]'))[1]).toBe('5');
    expect(await page.locator('.stats-results canvas[role="img"]').count()).toBe(8);
    // Aabenraa has no false-alarm target: its chart draws none and says so.
    await page.locator('.stats-false-alarms [data-municipality="aabenraa"] summary').click();
    await page
      .locator('.stats-false-alarms [data-municipality="aabenraa"]')
      .getByText('Kommunen har ikke sat et mål')
      .waitFor();
    const csv = await saved(page, () => page.getByRole('button', { name: 'Hent CSV' }).click());
    expect(csv.name).toBe('statistics-550-580-2025-01-2025-03.csv');
    const lines = csv.bytes.toString('utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 2 * 3);
    expect(lines.filter((l) => l.startsWith('aabenraa;'))).toHaveLength(3);
    // In English, charts and tables alike.
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('heading', { name: 'Statistics', exact: true }).waitFor();
    expect(await cells(page, '.stats-key [data-municipality="toender"] tr[data-month="2025-01"]')).toEqual([
      'Jan 2025', '5', '1', '2', '1', '1', '25.0%', '50.0%', '75.0%', '25.0%', '45 s', '1',
    ]); // prettier-ignore
    expect(
      await page.locator('.stats-outcomes [data-municipality="toender"] canvas').getAttribute('aria-label'),
    ).toContain('Outcomes per month, Tønder');
    await page.getByRole('button', { name: 'DA', exact: true }).click();
    // Back to the board.
    await nav.getByRole('link', { name: 'Tavlen' }).click();
    await page.locator('table.board').waitFor({ timeout: 10_000 });
  });

  it('shows the planned calls and night checks per month, only for a range that has any', async () => {
    const page = await fx.loggedIn('ana-toe', { live: false });
    await page.getByRole('heading', { name: 'Statistik' }).waitFor({ timeout: 10_000 });
    await showRange(page, '2025-01', '2025-03');
    const planned = page.locator('.stats-planned');
    await planned.getByRole('heading', { name: 'Planlagte opkald og natligt tilsyn' }).waitFor();
    // Due, on time, late, missed, open, ended in a visit: planned calls, then night checks.
    const kinds = ['Planlagte opkald', 'Natligt tilsyn'];
    const fields = ['forfaldne', 'til tiden', 'for sent', 'udeblevet', 'åbne', 'endte i et besøg'];
    expect(await cells(page, '.stats-planned thead tr')).toEqual([
      'Måned',
      ...kinds.flatMap((k) => fields.map((f) => `${k}: ${f}`)),
    ]);
    expect(await cells(page, '.stats-planned tr[data-month="2025-01"]')).toEqual([
      'jan. 2025', '3', '1', '1', '1', '0', '2', '2', '1', '1', '0', '0', '0',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-planned tr[data-month="2025-02"]')).toEqual([
      'feb. 2025', '1', '1', '0', '0', '0', '0', '1', '0', '0', '1', '0', '1',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-planned tr[data-month="2025-03"]')).toEqual([
      'mar. 2025', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
    ]); // prettier-ignore
    expect(await cells(page, '.stats-planned tr[data-month="total"]')).toEqual([
      'I alt', '4', '2', '1', '1', '0', '2', '3', '1', '1', '1', '0', '1',
    ]); // prettier-ignore
    expect((await planned.locator('.hint').innerText()).replace(/\s+/g, ' ')).toContain(
      'Hvert tælles én gang i måneden for det planlagte tidspunkt',
    );
    // The answer times say what they leave out.
    await page.locator('.stats-compliance summary').click();
    await page.locator('.stats-compliance').getByText('Planlagte opkald og natligt tilsyn indgår ikke').waitFor();
    // A range without any planned work has no such section.
    await page.getByLabel('Fra måned').fill('2025-03');
    await page.getByLabel('Til måned').fill('2025-03');
    await page.getByRole('button', { name: 'Vis', exact: true }).click();
    await page.locator('.stats-key tr[data-month="2025-03"]').first().waitFor({ timeout: 10_000 });
    await page.locator('.stats-key tr[data-month="2025-01"]').waitFor({ state: 'detached' });
    expect(await page.locator('.stats-planned').count()).toBe(0);
  });

  it('gives operators no statistics page: no link, and the address shows the board', async () => {
    const page = await fx.loggedIn('op-toe');
    await page.locator('table.board').waitFor({ timeout: 10_000 });
    expect(await page.locator('nav.pages').count()).toBe(0);
    await page.goto(`${fx.consoleUrl}/#statistics`);
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    await page.locator('table.board').waitFor({ timeout: 10_000 });
    expect(await page.locator('main.statistics').count()).toBe(0);
  });
});
