// The operator console in a real browser (Debian's chromium, driven by playwright-core): log in, an
// alarm posted through ingest appears on the board triaged, a claim in one browser shows as taken in
// another, and a user of one municipality never sees another's alarm.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteWebhook, putWebhook } from '../../db/webhooks.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { WEB_DIR } from '../../services/console/routes/home.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { createTriageWorker } from '../../services/triage/worker.js';
import { createTestEnv, gatewayKey, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const passwords = new Map(testRegistry().users.map((u) => [u.username, u.password]));

let te: TestEnv;
let browser: Browser;
let consoleUrl: string;
let ingestUrl: string;

beforeAll(async () => {
  // Both are installed by `npm ci` (the build) and `.ci/run` (chromium); a missing one is a failure, not a skip.
  if (!existsSync(path.join(WEB_DIR, 'index.html')))
    throw new Error(`no console build in ${WEB_DIR}: run npm run build`);
  if (!CHROMIUM) throw new Error('no chromium: apt-get install -y chromium (.ci/run does)');
  te = await createTestEnv();
  await seedRegistry(te);
  const console = await buildConsoleApp(te.runtime());
  te.onClose(() => console.close());
  consoleUrl = await console.app.listen({ port: 0, host: '127.0.0.1' });
  const ingest = await buildIngestApp(te.runtime());
  te.onClose(() => ingest.close());
  ingestUrl = await ingest.app.listen({ port: 0, host: '127.0.0.1' });
  const worker = createTriageWorker(te.runtime(), { superviseEveryMs: 60_000 });
  te.onClose(() => worker.close());
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await te?.close();
});

async function loggedIn(username: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  te.onClose(() => expect(errors).toEqual([]));
  await page.goto(consoleUrl);
  await page.getByLabel('Brugernavn').fill(username);
  await page.getByLabel('Adgangskode').fill(passwords.get(username)!);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
  return page;
}

async function post(m: string, event: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${ingestUrl}/v1/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gatewayKey(m)}` },
    body: JSON.stringify(event),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alarmId: string }).alarmId;
}

const row = (page: Page, alarmId: string) => page.locator(`tr[data-alarm="${alarmId}"]`);

describe('the operator console in chromium', () => {
  it('refuses a wrong password and stays on the login form', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(consoleUrl);
    await page.getByLabel('Brugernavn').fill('op-aab');
    await page.getByLabel('Adgangskode').fill('not-the-password');
    await page.getByRole('button', { name: 'Log ind' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Forkert brugernavn eller adgangskode');
    expect(await page.getByLabel('Adgangskode').isVisible()).toBe(true);
  });

  it('shows an alarm posted through ingest on the board within 2 s, triaged', async () => {
    const page = await loggedIn('op-both');
    const t0 = Date.now();
    const id = await post('aabenraa', testEvent('aabenraa', 6, 'fall', { voice: 'no_answer' }));
    await row(page, id).waitFor({ timeout: 2000 });
    expect(Date.now() - t0).toBeLessThan(2000);
    await row(page, id).getByText('Besøg').waitFor({ timeout: 5000 });
    const cells = await row(page, id).locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['aabenraa', 'Fald', 'dev-aabenraa-6']);
    expect(cells[3]).toContain('fall detector, no voice contact');
  });

  it('a claim in one browser shows as taken in another at once, its claim button gone', async () => {
    const [first, second] = await Promise.all([loggedIn('op-both'), loggedIn('sup-all')]);
    const id = await post('toender', testEvent('toender', 4, 'pendant', { voice: 'connected' }));
    await Promise.all([row(first, id).waitFor(), row(second, id).waitFor()]);
    // Both see it unanswered; the second is about to claim it when the first does.
    const late = row(second, id).getByRole('button', { name: 'Tag' });
    await late.waitFor();
    await row(first, id).getByRole('button', { name: 'Tag' }).click();
    await row(first, id).getByText('op-both').waitFor({ timeout: 2000 });
    await row(second, id).getByText('op-both').waitFor({ timeout: 2000 });
    expect(await row(second, id).getAttribute('class')).toBe('taken');
    expect(await late.count()).toBe(0);
  });

  it('never shows an operator an alarm of a municipality outside their scope', async () => {
    const aab = await loggedIn('op-aab');
    const toe = await post('toender', testEvent('toender', 8, 'smoke'));
    const own = await post('aabenraa', testEvent('aabenraa', 8, 'smoke'));
    // The later alarm arriving is the event: by then the other one would have arrived too.
    await row(aab, own).waitFor({ timeout: 2000 });
    expect(await row(aab, toe).count()).toBe(0);
    expect(await aab.locator('tbody').textContent()).not.toContain('toender');
  });

  it('opens an alarm with the citizen’s card (the read audited) and decides it: it leaves every board', async () => {
    const [op, other] = await Promise.all([loggedIn('op-both'), loggedIn('sup-all')]);
    const id = await post('aabenraa', testEvent('aabenraa', 10, 'pendant', { voice: 'connected' }));
    await Promise.all([row(op, id).waitFor(), row(other, id).waitFor()]);
    await row(op, id).getByRole('button', { name: 'Åbn' }).click();
    const detail = op.getByRole('complementary');
    await detail.getByText('Borger 10').waitFor({ timeout: 5000 });
    expect(await detail.textContent()).toContain('Vej 10, aabenraa');
    expect(await detail.textContent()).toContain('KS-1010');
    const reads = await te.rt.db.selectFrom('citizen_reads').selectAll().where('alarm_id', '=', id).execute();
    expect(reads).toEqual([expect.objectContaining({ username: 'op-both', citizen_id: 'c-aabenraa-10' })]);

    await detail.getByLabel('Note').fill('trykket ved en fejl');
    await detail.getByRole('button', { name: 'Fejlalarm' }).click();
    await row(op, id).waitFor({ state: 'detached', timeout: 2000 });
    await row(other, id).waitFor({ state: 'detached', timeout: 2000 });
    const stored = await te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      status: 'resolved',
      outcome: 'false_alarm',
      note: 'trykket ved en fejl',
      resolved_by: 'op-both',
    });
  });

  it('orders the board by urgency, and N takes the most urgent alarm nobody holds', async () => {
    const page = await loggedIn('op-both');
    const battery = await post('toender', testEvent('toender', 12, 'low_battery'));
    const smoke = await post('toender', testEvent('toender', 14, 'smoke'));
    // Both triaged (a class shown): the smoke is priority 1, the battery low.
    await row(page, smoke).getByText('Besøg').waitFor({ timeout: 5000 });
    await row(page, battery).locator('strong').waitFor({ timeout: 5000 });
    expect(await row(page, battery).textContent()).toMatch(/P[345]/);
    const order = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alarm')));
    expect(order.indexOf(smoke)).toBeLessThan(order.indexOf(battery));
    // Whatever is on top and free now is what N must take.
    const top = await page.locator('tbody tr.unanswered').first().getAttribute('data-alarm');
    await page.keyboard.press('n');
    await row(page, top!).getByText('op-both').waitFor({ timeout: 2000 });
    expect(await row(page, top!).getAttribute('class')).toBe('taken');
  });

  it('shows the webhooks of the user’s municipalities, and alerts when one has failed for too long', async () => {
    await putWebhook(te.rt.db, 'aabenraa', { url: 'https://pleje.aabenraa.example/rc', secret: 'x'.repeat(40) });
    try {
      // A delivery failing for ten minutes (WEBHOOK_ALERT_AFTER_SECONDS is 300 by default).
      await te.rt.db
        .insertInto('webhook_deliveries')
        .values({
          id: randomUUID(),
          municipality_id: 'aabenraa',
          dispatch_id: randomUUID(),
          version: 1,
          dispatch: '{}',
          attempts: 12,
          first_failed_at: new Date(Date.now() - 10 * 60_000),
          last_attempt_at: new Date(),
          last_status: 503,
          last_error: 'HTTP 503',
        })
        .execute();
      const [aab, toe] = await Promise.all([loggedIn('op-aab'), loggedIn('op-toe')]);
      const webhook = aab.locator('[data-webhook="aabenraa"]');
      await webhook.waitFor({ timeout: 5000 });
      expect(await webhook.textContent()).toMatch(/aabenraa: fejler siden \d\d[.:]\d\d \(HTTP 503\) · 1 venter/);
      await expect(aab.getByRole('alert').textContent()).resolves.toContain(
        'Besøg når ikke frem til omsorgssystemet i aabenraa',
      );
      // Tønder's operator has no webhook to see, and nothing of Aabenraa's.
      await toe.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor();
      expect(await toe.locator('[data-webhook]').count()).toBe(0);
      expect(await toe.getByRole('alert').count()).toBe(0);
    } finally {
      await deleteWebhook(te.rt.db, 'aabenraa');
    }
  });

  it('forgets the board at logout: the next user of the browser sees only their own municipality', async () => {
    const page = await loggedIn('op-both');
    const toe = await post('toender', testEvent('toender', 16, 'fall'));
    await row(page, toe).waitFor({ timeout: 2000 });
    await page.getByRole('button', { name: 'Log ud' }).click();
    await page.getByLabel('Brugernavn').fill('op-aab');
    await page.getByLabel('Adgangskode').fill(passwords.get('op-aab')!);
    await page.getByRole('button', { name: 'Log ind' }).click();
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    const own = await post('aabenraa', testEvent('aabenraa', 16, 'fall'));
    await row(page, own).waitFor({ timeout: 2000 });
    expect(await row(page, toe).count()).toBe(0);
    expect(await page.locator('tbody').textContent()).not.toContain('toender');
  });
});
