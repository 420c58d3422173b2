// `npm run screenshots`: the README's pictures of the console, taken in Debian's chromium (driven by
// playwright-core) from the running demo. Start `npm run demo` in another terminal first and let it run
// a minute, so the board has alarms. It logs in with the demo logins; to show the planner's board it
// decides one open Aabenraa alarm as a dispatch (as the demo operator, through the API), and it opens
// one citizen's card (an audited read, like any other). The analyst's statistics page comes last.
//
//   CONSOLE_URL [http://127.0.0.1:8081]   CHROMIUM [/usr/bin/chromium]   OUT [docs/screenshots]
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEMO_LOGINS } from '../services/simulator/registry.js';

const consoleUrl = process.env.CONSOLE_URL ?? 'http://127.0.0.1:8081';
const out = process.env.OUT ?? path.join('docs', 'screenshots');
const VIEWPORT = { width: 1440, height: 900 };

const passwordOf = (username: string) => {
  const l = DEMO_LOGINS.find((d) => d.username === username);
  if (!l) throw new Error(`no demo login ${username}`);
  return l.password;
};

/** `live: false` for analysts, whose page has no live feed. */
async function loggedIn(browser: Browser, username: string, live = true): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'da-DK', timezoneId: 'Europe/Copenhagen' });
  const page = await context.newPage();
  await page.goto(consoleUrl);
  await page.getByLabel('Brugernavn').fill(username);
  await page.getByLabel('Adgangskode').fill(passwordOf(username));
  await page.getByRole('button', { name: 'Log ind' }).click();
  if (live) await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 15_000 });
  return page;
}

async function api(username: string, method: string, url: string, body?: unknown): Promise<unknown> {
  const login = await fetch(new URL('/v1/auth/login', consoleUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: passwordOf(username) }),
  });
  const { token } = (await login.json()) as { token: string };
  const r = await fetch(new URL(url, consoleUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(out, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
  try {
    // The operators' board: wait until it has a few incidents.
    const board = await loggedIn(browser, 'operator');
    await board.locator('table.board tr.row').nth(4).waitFor({ timeout: 120_000 });
    await shot(board, 'board');

    // The detail of the most urgent incident: card, history, triage reasons, the decision.
    await board.locator('table.board tr.row').first().getByRole('button', { name: 'Åbn' }).click();
    await board.locator('aside.detail').waitFor();
    await board.locator('aside.detail dl').first().waitFor({ timeout: 10_000 });
    await shot(board, 'detail');

    // The planner's board: one open Aabenraa alarm decided as a dispatch.
    const open = (await api('operator', 'GET', '/v1/alarms?municipality=aabenraa&status=open&limit=20')) as {
      alarms: { id: string; type: string; unknownDevice: boolean }[];
    };
    const alarm = open.alarms.find((a) => !a.unknownDevice && ['pendant', 'fall'].includes(a.type)) ?? open.alarms[0];
    if (!alarm) throw new Error('no open Aabenraa alarm yet: let the demo run a little longer');
    await api('operator', 'POST', `/v1/alarms/${alarm.id}/resolve`, {
      outcome: 'dispatch',
      note: 'Borgeren er faldet i stuen og kan ikke rejse sig; svarer via alarmen.',
    });
    const planner = await loggedIn(browser, 'planner-aabenraa');
    await planner.locator('section.planner article.dispatch').first().waitFor({ timeout: 10_000 });
    await shot(planner, 'planner');

    // The supervisors' centre view.
    const supervisor = await loggedIn(browser, 'supervisor');
    await supervisor.locator('section.centre').waitFor({ timeout: 15_000 });
    await supervisor.locator('section.centre').scrollIntoViewIfNeeded();
    await shot(supervisor, 'supervisor');

    // The analysts' statistics page: the last twelve months of Tønder (the demo's alarms are this month's).
    const analyst = await loggedIn(browser, 'analyst-toender', false);
    await analyst.locator('.stats-results canvas').first().waitFor({ timeout: 15_000 });
    // The charts at the top of the window, the key figures above them scrolled away.
    await analyst
      .locator('.stats-outcomes')
      .evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await shot(analyst, 'statistics');
  } finally {
    await browser.close();
  }
}

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
