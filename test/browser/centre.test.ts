// The centre in chromium: staffing, triage health, webhooks to home care, and the supervisors' centre
// view. Their endpoints (GET /v1/centre, GET /v1/webhooks) are built beside the console; until this
// console serves them the widgets are hidden, and here the page is given their agreed shapes through
// the browser's request routing to show what it makes of them.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserFixture } from './harness.js';

const fx = browserFixture();

const now = () => new Date().toISOString();
const centre = (o: { online: string[]; behind?: boolean }) => ({
  at: now(),
  staffing: {
    operatorsOnline: o.online.map((username) => ({ username, role: 'operator', municipalities: ['aabenraa'] })),
    warning: o.online.length < 2,
  },
  triage: {
    untriaged: o.behind ? 42 : 0,
    oldestUntriagedSeconds: o.behind ? 95 : null,
    queueDepth: o.behind ? 40 : 0,
    workersOnline: o.behind ? 0 : 2,
    behind: o.behind ?? false,
  },
  municipalities: [
    {
      id: 'aabenraa',
      name: 'Aabenraa',
      waiting: 3,
      longestWaitSeconds: 75,
      escalations: 1,
      answeredWithin60s: { lastHour: 0.9, today: 0.975 },
    },
  ],
  silentGateways: [{ id: 'gw-toender', name: 'Gateway toender', lastHeartbeatAt: now(), silentSeconds: 900 }],
});
const webhooks = [
  {
    municipality: 'aabenraa',
    status: 'failing',
    lastDeliveredAt: null,
    failingSince: now(),
    pending: 3,
    lastError: 'HTTP 503',
    alert: true,
  },
];

/** Answer `url` on this page (and every page of its context) with `body`. */
const serve = (page: Page, url: string, body: unknown) =>
  page.context().route(`**${url}`, (route) => route.fulfill({ json: body }));

describe('the centre in chromium', () => {
  it('hides staffing, centre and webhook widgets while the console does not serve them', async () => {
    const page = await fx.loggedIn('sup-all');
    expect(await page.locator('.staffing, .centre, .webhook-banner, .triage-banner').count()).toBe(0);
  });

  it('warns when fewer than two operators are on duty, and says when triage is behind', async () => {
    const context = await fx.browser.newContext();
    await context.route('**/v1/centre', (route) =>
      route.fulfill({ json: centre({ online: ['op-aab'], behind: true }) }),
    );
    const page = await fx.loggedIn('op-aab', { context });
    const staffing = page.locator('.staffing');
    await staffing.waitFor({ timeout: 5000 });
    expect(await staffing.innerText()).toContain('1 operatør på vagt: op-aab');
    expect(await staffing.innerText()).toContain('færre end to på vagt');
    const banner = page.locator('.triage-banner');
    expect(await banner.innerText()).toContain('Vurderingen halter');
    expect(await banner.innerText()).toContain('42 alarmer venter på vurdering');
    expect(await banner.innerText()).toContain('markeret som ikke vurderet');
    // Operators get the staffing line and the banners, not the supervisors' centre view.
    expect(await page.locator('section.centre').count()).toBe(0);
  });

  it('shows supervisors the centre view, and everyone a failing webhook to home care', async () => {
    const page = await fx.loggedIn('sup-all');
    await serve(page, '/v1/centre', centre({ online: ['op-aab', 'op-toe'] }));
    await serve(page, '/v1/webhooks', { webhooks });
    await page.reload();
    const view = page.locator('section.centre');
    await view.waitFor({ timeout: 5000 });
    const row = await view.locator('tr[data-municipality="aabenraa"]').locator('th, td').allInnerTexts();
    // Danish number format: decimal comma, a no-break space before the per cent sign.
    expect(row).toEqual(['Aabenraa', '3', '1 min 15 s', '1', '90\u00a0%', '97,5\u00a0%']);
    expect(await view.innerText()).toContain('Gateway toender (gw-toender): tavs i 15 min 00 s');
    expect(await page.locator('.staffing').innerText()).not.toContain('færre end to');
    expect(await page.locator('.webhook-banner').innerText()).toContain(
      'Besked til hjemmeplejen i Aabenraa fejler siden',
    );

    // The planner sees each municipality's webhook on the dispatch board.
    const context = await fx.browser.newContext();
    await context.route('**/v1/webhooks', (route) => route.fulfill({ json: { webhooks } }));
    const planner = await fx.loggedIn('plan-aab', { context });
    await planner.locator('.webhooks .webhook.failing').getByText('Aabenraa: fejler').waitFor({ timeout: 5000 });
  });

  it('gives an analyst the statistics placeholder, without a live feed', async () => {
    const page = await fx.loggedIn('ana-toe', { live: false });
    await page.getByRole('heading', { name: 'Statistik' }).waitFor({ timeout: 5000 });
    expect(await page.locator('table.board').count()).toBe(0);
  });
});
