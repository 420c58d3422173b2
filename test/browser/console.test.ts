// The operator console in a real browser (Debian's chromium, driven by playwright-core): log in, an
// alarm posted through ingest appears on the board triaged, a claim in one browser shows as taken in
// another, and a user of one municipality never sees another's alarm.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually, testEvent } from '../support/env.js';
import { browserFixture, row } from './harness.js';

const fx = browserFixture();
const loggedIn = (username: string) => fx.loggedIn(username);
const post = (m: string, event: Record<string, unknown>) => fx.post(m, event);
const classes = (page: Page, alarmId: string) => row(page, alarmId).evaluate((r) => [...r.classList]);

describe('the operator console in chromium', () => {
  it('refuses a wrong password and stays on the login form', async () => {
    const page = await (await fx.browser.newContext()).newPage();
    await page.goto(fx.consoleUrl);
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
    // The citizen's name and address come from the board's batched, audited name read.
    await row(page, id).getByText('Borger 6').waitFor({ timeout: 5000 });
    const cells = await row(page, id).locator('td').allInnerTexts();
    expect(cells.slice(0, 3)).toEqual(['Aabenraa', 'Fald', 'Borger 6\nVej 6, aabenraa']);
    // The reason in the console's language (Danish by default), from its key.
    expect(cells[3]).toContain('faldalarm uden talekontakt');
    // Unanswered, with the time left to the answer target.
    expect(cells[4]).toMatch(/\d+ s til svarfrist/);
    expect(cells[5]).toContain('Ubesvaret');
    // The session rides the default cookie, which chromium keeps from http://127.0.0.1 (a secure context).
    const cookies = await page.context().cookies();
    expect(
      cookies.map((c) => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, sameSite: c.sameSite })),
    ).toEqual([{ name: '__Host-rc_session', secure: true, httpOnly: true, sameSite: 'Strict' }]);
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
    expect(await classes(second, id)).toContain('taken');
    expect(await classes(second, id)).not.toContain('unanswered');
    expect(await late.count()).toBe(0);
  });

  it('refuses a second claim with the holder’s name', async () => {
    const first = await loggedIn('op-both');
    // The second browser's feed can be held back, so its claim button is still there when the first claims.
    const context = await fx.browser.newContext();
    let holding = false;
    const held: (string | Buffer)[] = [];
    let toPage: ((m: string | Buffer) => void) | undefined;
    await context.routeWebSocket(/\/v1\/live/, (ws) => {
      const server = ws.connectToServer();
      toPage = (m) => ws.send(m);
      server.onMessage((m) => (holding ? held.push(m) : ws.send(m)));
    });
    const second = await fx.loggedIn('sup-all', { context });
    const id = await post('toender', testEvent('toender', 18, 'pendant', { voice: 'connected' }));
    await Promise.all([row(first, id).waitFor(), row(second, id).waitFor()]);
    holding = true;
    await row(first, id).getByRole('button', { name: 'Tag' }).click();
    await row(first, id).getByText('op-both').waitFor({ timeout: 2000 });
    await row(second, id).getByRole('button', { name: 'Tag' }).click();
    // Refused before the second browser knows who holds it, then named as soon as its feed says so.
    const notice = second.locator('p.notice');
    await notice.getByText('En anden operatør har allerede taget alarmen').waitFor({ timeout: 2000 });
    holding = false;
    for (const m of held.splice(0)) toPage!(m);
    await notice.getByText('Alarmen er allerede taget af op-both').waitFor({ timeout: 2000 });
    await row(second, id).getByText('op-both').waitFor({ timeout: 2000 });
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
    // The triage's reasons in Danish from their keys, and what earlier decisions predict for a press.
    expect(await detail.locator('ul.reasons').textContent()).toContain('nødkald med talekontakt');
    expect(await detail.locator('p.learning').textContent()).toMatch(/^Forudsagt: .+ sikkerhed \d+ %\./);
    const reads = await fx.te.rt.db.selectFrom('citizen_reads').selectAll().where('alarm_id', '=', id).execute();
    expect(reads).toEqual([expect.objectContaining({ username: 'op-both', citizen_id: 'c-aabenraa-10' })]);

    await detail.getByLabel('Note').fill('trykket ved en fejl');
    await detail.getByRole('button', { name: 'Fejlalarm' }).click();
    await row(op, id).waitFor({ state: 'detached', timeout: 2000 });
    await row(other, id).waitFor({ state: 'detached', timeout: 2000 });
    const stored = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      status: 'resolved',
      outcome: 'false_alarm',
      note: 'trykket ved en fejl',
      resolved_by: 'op-both',
    });
  });

  it('lists a unit’s low battery as maintenance, and closes the task by hand', async () => {
    const id = await post('aabenraa', testEvent('aabenraa', 16, 'low_battery'));
    const task = await eventually(
      () => fx.te.rt.db.selectFrom('maintenance_tasks').selectAll().where('opened_by', '=', id).executeTakeFirst(),
      10_000,
      'the low battery’s maintenance task',
    );
    const page = await loggedIn('op-both');
    const item = page.locator(`.maintenance-panel li[data-task="${task.id}"]`);
    await item.getByText('Lavt batteri').waitFor({ timeout: 5000 });
    await item.getByRole('button', { name: 'Udført' }).click();
    await item.waitFor({ state: 'detached', timeout: 5000 });
    const closed = await fx.te.rt.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ closed_by: 'op-both' });
  });

  it('orders the board by urgency, and N takes the most urgent alarm nobody holds', async () => {
    const page = await loggedIn('op-both');
    const battery = await post('toender', testEvent('toender', 12, 'low_battery'));
    const smoke = await post('toender', testEvent('toender', 14, 'smoke'));
    // Both triaged (a class shown): the smoke is priority 1, the battery low.
    await row(page, smoke).getByText('Besøg').waitFor({ timeout: 5000 });
    await row(page, battery).locator('strong').waitFor({ timeout: 5000 });
    expect(await row(page, battery).textContent()).toMatch(/P[345]/);
    const order = await page
      .locator('tbody tr.row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alarm')));
    expect(order.indexOf(smoke)).toBeLessThan(order.indexOf(battery));
    // Whatever is on top and free now is what N must take.
    const top = await page.locator('tbody tr.row.unanswered').first().getAttribute('data-alarm');
    await page.keyboard.press('n');
    await row(page, top!).getByText('op-both').waitFor({ timeout: 2000 });
    expect(await classes(page, top!)).toContain('taken');
  });

  it('forgets the board at logout: the next user of the browser sees only their own municipality', async () => {
    const page = await loggedIn('op-both');
    const toe = await post('toender', testEvent('toender', 16, 'fall'));
    await row(page, toe).waitFor({ timeout: 2000 });
    await page.getByRole('button', { name: 'Log ud' }).click();
    await fx.logIn(page, 'op-aab');
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    const own = await post('aabenraa', testEvent('aabenraa', 16, 'fall'));
    await row(page, own).waitFor({ timeout: 2000 });
    expect(await row(page, toe).count()).toBe(0);
    expect(await page.locator('tbody').textContent()).not.toContain('toender');
  });
});
