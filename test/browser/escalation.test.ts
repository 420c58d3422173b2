// Escalations in chromium. An incident nobody answers within its municipality's answer target turns
// overdue on every board at once and heads the escalation band, which sounds and cannot be filtered
// away; the server's escalations (an unresolved alarm, a dispatch home care has not accepted) arrive
// on the live feed (the worker's escalation loop runs in the fixture) and show the same way, on
// supervisors' boards too.
import type { Page } from 'playwright-core';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { claimAlarm } from '../../db/decisions.js';
import { testEvent, testRegistry } from '../support/env.js';
import { browserFixture, row, tones } from './harness.js';

/** Aabenraa's answer target: the registry's shortest, so the test waits only this long. */
const TARGET_SECONDS = 10;
const reg = testRegistry();
reg.municipalities = reg.municipalities.map((m) =>
  m.id === 'aabenraa' ? { ...m, answerTargetSeconds: TARGET_SECONDS } : m,
);
const fx = browserFixture({ registry: reg });

const band = (page: Page) => page.locator('section.escalations');

/**
 * Let a deadline pass: its stored timestamp moved back past the municipality's limit. The worker's
 * escalation loop (running in the fixture) finds it within a second and pushes the change.
 */
async function unresolvedTooLong(id: string) {
  await sql`UPDATE alarms SET claimed_at = now() - interval '16 minutes' WHERE id = ${id}::uuid`.execute(fx.te.rt.db);
}
async function notAcceptedInTime(id: string) {
  await sql`UPDATE dispatches SET requested_at = now() - interval '11 minutes' WHERE id = ${id}::uuid`.execute(
    fx.te.rt.db,
  );
}

describe('escalations in chromium', () => {
  it('an incident unanswered past the answer target is overdue on every board at once, heads the band with a sound, whatever the filter', async () => {
    const [op, sup] = await Promise.all([fx.loggedIn('op-aab'), fx.loggedIn('sup-all')]);
    // The supervisor filters Aabenraa away: the band still shows it.
    await sup.getByRole('group', { name: 'Filtre' }).getByLabel('Tønder').check();
    const id = await fx.post('aabenraa', testEvent('aabenraa', 2, 'fall', { voice: 'no_answer' }));
    await row(op, id)
      .getByText(/til svarfrist/)
      .waitFor({ timeout: 2000 });
    const before = await tones(op);

    await row(op, id)
      .getByText(/\d+ s over frist/)
      .waitFor({ timeout: (TARGET_SECONDS + 3) * 1000 });
    expect(await row(op, id).evaluate((r) => r.classList.contains('overdue'))).toBe(true);
    for (const page of [op, sup]) {
      await band(page).locator(`li[data-alarms~="${id}"]`).waitFor({ timeout: 2000 });
      expect(await band(page).getByRole('alert').innerText()).toMatch(/\d+ eskalering(er)?/);
    }
    expect(await band(op).innerText()).toContain('Borger 2');
    // The escalation's own sound.
    await expect.poll(() => tones(op), { timeout: 2000 }).toBeGreaterThanOrEqual(before + 4);
    expect(await row(sup, id).count()).toBe(0);

    // Taken from the band, it leaves it.
    await band(op).locator(`li[data-alarms~="${id}"]`).getByRole('button', { name: 'Tag' }).click();
    await band(op).locator(`li[data-alarms~="${id}"]`).waitFor({ state: 'detached', timeout: 2000 });
    await band(sup).locator(`li[data-alarms~="${id}"]`).waitFor({ state: 'detached', timeout: 2000 });
  });

  it('the server’s escalation of a claimed, unresolved alarm shows on the board and in the band', async () => {
    const sup = await fx.loggedIn('sup-all');
    const id = await fx.post('toender', testEvent('toender', 3, 'pendant'));
    expect((await claimAlarm(fx.te.rt.db, id, 'op-toe')).outcome).toBe('changed');
    await fx.te.rt.feed.published();
    await row(sup, id).getByText('op-toe').waitFor({ timeout: 2000 });
    expect(await band(sup).locator(`li[data-alarms~="${id}"]`).count()).toBe(0);

    await unresolvedTooLong(id);
    await row(sup, id).getByText('Eskaleret: ikke afsluttet').waitFor({ timeout: 5000 });
    expect(await row(sup, id).evaluate((r) => r.classList.contains('escalated'))).toBe(true);
    expect(await band(sup).locator(`li[data-alarms~="${id}"]`).innerText()).toContain('ikke afsluttet af op-toe');
  });

  it('a dispatch home care has not accepted in time is escalated to the operators and shown to the planner', async () => {
    const [op, planner] = await Promise.all([fx.loggedIn('op-aab'), fx.loggedIn('plan-aab')]);
    const alarmId = await fx.post('aabenraa', testEvent('aabenraa', 4, 'smoke'));
    const res = await fx.api('op-aab', 'POST', `/v1/alarms/${alarmId}/resolve`, { outcome: 'dispatch' });
    expect(res.status).toBe(200);
    const dispatchId = ((await res.json()) as { dispatch: { id: string } }).dispatch.id;
    await planner.locator(`article.dispatch[data-dispatch="${dispatchId}"]`).waitFor({ timeout: 2000 });

    await notAcceptedInTime(dispatchId);
    await band(op).locator(`li[data-dispatch="${dispatchId}"]`).getByText('Besøg ikke accepteret').waitFor({
      timeout: 5000,
    });
    const card = planner.locator(`article.dispatch[data-dispatch="${dispatchId}"]`);
    await card.getByText(/Ikke accepteret i tide/).waitFor({ timeout: 2000 });
    expect(await band(planner).locator(`li[data-dispatch="${dispatchId}"]`).count()).toBe(1);

    // Accepted, the escalation is over.
    await card.getByRole('button', { name: 'Accepter …' }).click();
    await card.getByLabel('Team').fill('Nat 1');
    await card.getByRole('button', { name: 'Accepter med team' }).click();
    await band(op).locator(`li[data-dispatch="${dispatchId}"]`).waitFor({ state: 'detached', timeout: 2000 });
  });

  it('the escalation loop escalates an alarm unanswered past the answer target, and a supervisor sees why', async () => {
    const sup = await fx.loggedIn('sup-all');
    const id = await fx.post('aabenraa', testEvent('aabenraa', 6, 'fall', { voice: 'no_answer' }));
    await row(sup, id)
      .getByText('Eskaleret: ubesvaret')
      .waitFor({ timeout: (TARGET_SECONDS + 10) * 1000 });
    const res = await fx.api('sup-all', 'GET', `/v1/alarms/${id}`);
    expect(await res.json()).toMatchObject({ escalated: true, escalation: { reason: 'unanswered' } });
  });
});
