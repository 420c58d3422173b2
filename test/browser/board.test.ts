// The operators' board in chromium: an incident is one row with a count; new alarms flash and sound
// (priority 1 differently) and the operator can mute them; everything works from the keyboard; the
// filters; 500 open alarms render only the rows in view.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testEvent, testRegistry } from '../support/env.js';
import { browserFixture, row, tones } from './harness.js';

// Long answer targets: no alarm of this file becomes overdue (and sounds its escalation) mid-test;
// escalation.test.ts covers that.
const reg = testRegistry();
reg.municipalities = reg.municipalities.map((m) => ({ ...m, answerTargetSeconds: 3600 }));
const fx = browserFixture({ registry: reg });

/** The alarm whose row has the keyboard. */
const focusedAlarm = (page: Page) => page.evaluate("document.activeElement?.getAttribute('data-alarm') ?? null");
const announcement = async (page: Page) => (await page.locator('[aria-live="assertive"]').textContent()) ?? '';
/** The live region's words, once they differ from `before`. */
async function nextAnnouncement(page: Page, before: string): Promise<string> {
  await expect.poll(() => announcement(page), { timeout: 5000 }).not.toBe(before);
  return announcement(page);
}

describe('the board in chromium', () => {
  it('shows an incident’s repeated presses and its cancel as one row with a count, flashing the row', async () => {
    const page = await fx.loggedIn('op-aab');
    const first = await fx.post('aabenraa', testEvent('aabenraa', 2, 'pendant', { voice: 'connected' }));
    await row(page, first).waitFor({ timeout: 2000 });
    const ev = testEvent('aabenraa', 2, 'pendant', { voice: 'connected' });
    const second = await fx.post('aabenraa', ev);
    const cancel = await fx.post('aabenraa', testEvent('aabenraa', 2, 'cancel', { relatesTo: ev.eventId }));
    await row(page, cancel).waitFor({ timeout: 2000 });
    // One row holds all three.
    expect(await page.locator(`tr.row[data-alarms~="${first}"][data-alarms~="${second}"]`).count()).toBe(1);
    expect(await page.locator('tr.row').count()).toBe(1);
    const type = await row(page, first).locator('td.type').innerText();
    expect(type).toContain('×3');
    expect(type).toContain('3 hændelser');
    expect(type).toContain('seneste: Annulleret');
    expect(await row(page, first).evaluate((r) => r.classList.contains('flash'))).toBe(true);
  });

  it('sounds new alarms (priority 1 in its own pattern), and once muted only flashes them, muted still after a reload', async () => {
    const page = await fx.loggedIn('op-toe');
    let before = await tones(page);
    const said = await announcement(page);
    const routine = await fx.post('toender', testEvent('toender', 3, 'medication'));
    await row(page, routine).locator('strong').waitFor({ timeout: 5000 });
    expect(await nextAnnouncement(page, said)).toMatch(/Ny alarm: Medicin/);
    await expect.poll(() => tones(page), { timeout: 5000 }).toBeGreaterThan(before);
    // The routine chime: two tones.
    expect((await tones(page)) - before).toBe(2);

    // A priority 1 alarm: its own, longer pattern.
    before = await tones(page);
    const said2 = await announcement(page);
    const smoke = await fx.post('toender', testEvent('toender', 5, 'smoke'));
    await row(page, smoke).waitFor({ timeout: 2000 });
    expect(await nextAnnouncement(page, said2)).toMatch(/Ny alarm: Røg, prioritet 1/);
    expect((await tones(page)) - before).toBe(4);

    // M mutes: the next alarm flashes and is announced in words, without a sound.
    await page.keyboard.press('m');
    const mute = page.getByRole('button', { name: 'Lyd slået fra' });
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    before = await tones(page);
    const said3 = await announcement(page);
    const quiet = await fx.post('toender', testEvent('toender', 7, 'smoke'));
    await row(page, quiet).waitFor({ timeout: 2000 });
    expect(await row(page, quiet).evaluate((r) => r.classList.contains('flash'))).toBe(true);
    await nextAnnouncement(page, said3);
    expect(await tones(page)).toBe(before);

    // The choice is kept in this browser.
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Lyd slået fra' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Lyd slået fra' }).click();
    expect(await page.getByRole('button', { name: /Lyd til/ }).getAttribute('aria-pressed')).toBe('false');
  });

  it('is usable from the keyboard alone: N takes and opens the most urgent, Esc closes, arrows and Enter open another, the decision by keys', async () => {
    const page = await fx.loggedIn('op-both');
    const urgent = await fx.post('aabenraa', testEvent('aabenraa', 8, 'fall', { voice: 'no_answer' }));
    const later = await fx.post('aabenraa', testEvent('aabenraa', 10, 'medication'));
    await row(page, urgent).getByText('Besøg').waitFor({ timeout: 5000 });
    await row(page, later).locator('strong').waitFor({ timeout: 5000 });
    // Whatever is on top and free now is what N must take.
    const top = (await page.locator('tbody tr.row.unanswered').first().getAttribute('data-alarm'))!;
    await page.keyboard.press('n');
    const detail = page.getByRole('complementary');
    await detail.waitFor({ timeout: 2000 });
    await row(page, top).getByText('op-both').waitFor({ timeout: 2000 });
    // The detail has the keyboard: its heading is focused.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('detail-title');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    // The keyboard is back on the row it came from.
    await expect.poll(() => focusedAlarm(page)).toBe(top);

    // Arrows move between rows; Enter opens one.
    const order = await page
      .locator('tbody tr.row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alarm')));
    const at = order.indexOf(top);
    const next = order[at + 1] ?? order[at - 1];
    await page.keyboard.press(order[at + 1] ? 'ArrowDown' : 'ArrowUp');
    await expect.poll(() => focusedAlarm(page)).toBe(next);
    await page.keyboard.press('Enter');
    await detail.waitFor({ timeout: 2000 });

    // The decision, by keys: the note, then Tab to a decision and Enter.
    await page.keyboard.press('Escape');
    await row(page, top).focus();
    await page.keyboard.press('Enter');
    // Opened (and its card loaded) when the keyboard is on its title, as a user would wait for it.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('detail-title');
    await detail.getByLabel('Note').focus();
    await page.keyboard.type('ringet op, alt vel');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Fejlalarm');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await row(page, top).waitFor({ state: 'detached', timeout: 2000 });
    const stored = await fx.te.rt.db.selectFrom('alarms').selectAll().where('id', '=', top).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'resolved', outcome: 'phone_resolvable', note: 'ringet op, alt vel' });
  });

  it('filters by municipality and status, says how many it hides, and keeps the filter for the user', async () => {
    const page = await fx.loggedIn('op-both');
    const aab = await fx.post('aabenraa', testEvent('aabenraa', 12, 'pendant'));
    const toe = await fx.post('toender', testEvent('toender', 13, 'pendant'));
    await Promise.all([row(page, aab).waitFor({ timeout: 2000 }), row(page, toe).waitFor({ timeout: 2000 })]);
    await page.getByRole('group', { name: 'Filtre' }).getByLabel('Tønder').check();
    await row(page, aab).waitFor({ state: 'detached' });
    expect(await row(page, toe).count()).toBe(1);
    expect(await page.locator('.hidden-count').innerText()).toMatch(/\d+ hændelser? skjult af filteret/);

    await page.getByLabel('Status').selectOption('taken');
    await row(page, toe).waitFor({ state: 'detached' });
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Status').inputValue()).toBe('taken');
    await page.getByLabel('Status').selectOption('all');
    await row(page, toe).waitFor();
    expect(await row(page, aab).count()).toBe(0);
    await page.getByRole('group', { name: 'Filtre' }).getByLabel('Tønder').uncheck();
    await row(page, aab).waitFor();
  });

  it('speaks English when switched, and keeps the choice', async () => {
    const page = await fx.loggedIn('op-aab');
    await page.getByRole('button', { name: 'EN' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('columnheader').allInnerTexts()).toEqual([
      'Municipality',
      'Type',
      'Citizen',
      'Triage',
      'Waiting',
      'Taken by',
    ]);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'DA' }).click();
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor();
  });
});
