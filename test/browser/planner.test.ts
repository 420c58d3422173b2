// Dispatches across the two sides in chromium: an operator's decision to dispatch arrives on the
// planner's board with the address, the operator's note and (on request, audited) the key safe; the
// planner's progress shows on the operator's side at once; and nobody sees another municipality's.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testEvent } from '../support/env.js';
import { browserFixture, row } from './harness.js';

const fx = browserFixture();

const dispatchCard = (page: Page, id: string) => page.locator(`article.dispatch[data-dispatch="${id}"]`);

/** An alarm of municipality m decided as a dispatch through the API by op-both; the dispatch's id. */
async function dispatched(m: 'aabenraa' | 'toender', device: number, note: string): Promise<string> {
  const alarmId = await fx.post(m, testEvent(m, device, 'fall', { voice: 'no_answer' }));
  const res = await fx.api('op-both', 'POST', `/v1/alarms/${alarmId}/resolve`, { outcome: 'dispatch', note });
  expect(res.status).toBe(200);
  return ((await res.json()) as { dispatch: { id: string } }).dispatch.id;
}

describe('dispatches in chromium', () => {
  it('a decision to dispatch reaches the planner live; the planner’s progress reaches the operator at once', async () => {
    // The planner's computer runs on another zone: the page still shows Copenhagen time.
    const elsewhere = await fx.browser.newContext({ timezoneId: 'America/Los_Angeles' });
    const [op, planner] = await Promise.all([fx.loggedIn('op-aab'), fx.loggedIn('plan-aab', { context: elsewhere })]);
    const alarmId = await fx.post('aabenraa', testEvent('aabenraa', 2, 'fall', { voice: 'no_answer' }));
    await row(op, alarmId).getByRole('button', { name: 'Åbn' }).click();
    const detail = op.getByRole('complementary');
    await detail.getByText('Borger 2').waitFor({ timeout: 5000 });
    await detail.getByLabel('Note').fill('Ligger på gulvet i stuen, svarer ikke');
    await detail.getByRole('button', { name: 'Besøg' }).click();
    await row(op, alarmId).waitFor({ state: 'detached', timeout: 2000 });

    const { id, requested_at } = await fx.te.rt.db
      .selectFrom('dispatches')
      .select(['id', 'requested_at'])
      .where('alarm_id', '=', alarmId)
      .executeTakeFirstOrThrow();
    const card = dispatchCard(planner, id);
    await card.waitFor({ timeout: 2000 });
    await card.getByText('Borger 2, Vej 2, aabenraa').waitFor({ timeout: 5000 });
    const text = await card.innerText();
    expect(text).toContain('Fald · Aabenraa');
    expect(text).toContain('Bestilt');
    expect(text).toContain('Ligger på gulvet i stuen, svarer ikke');
    const copenhagen = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Copenhagen',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(requested_at));
    expect(
      text
        .match(/Bestilt (\d\d)[.:](\d\d)[.:](\d\d)/)
        ?.slice(1)
        .join(':'),
    ).toBe(copenhagen);

    // The key safe only when asked for, and that read is audited.
    await card.getByRole('button', { name: /Vis nøgleboks/ }).click();
    await card.getByText('KS-1002').waitFor({ timeout: 5000 });
    const reads = await fx.te.rt.db
      .selectFrom('citizen_reads')
      .selectAll()
      .where('username', '=', 'plan-aab')
      .where('citizen_id', '=', 'c-aabenraa-2')
      .execute();
    expect(reads.length).toBeGreaterThan(0);

    // The operator follows it in the dispatch panel.
    const progress = op.locator(`.dispatch-panel li[data-alarm="${alarmId}"]`);
    await progress.getByText('Bestilt').waitFor({ timeout: 2000 });

    // Accepting asks for the team.
    await card.getByRole('button', { name: 'Accepter …' }).click();
    await card.getByLabel('Team').fill('Team Syd 3');
    await card.getByRole('button', { name: 'Accepter med team' }).click();
    await progress.getByText('Accepteret').waitFor({ timeout: 2000 });
    expect(await progress.innerText()).toContain('Team Syd 3');
    await card.getByRole('button', { name: 'Undervejs' }).click();
    await progress.getByText('Undervejs').waitFor({ timeout: 2000 });
    await card.getByRole('button', { name: 'Fremme' }).click();
    await progress.getByText('Fremme').waitFor({ timeout: 2000 });
    await card.getByRole('button', { name: 'Afsluttet' }).click();
    await progress.getByText('Afsluttet').waitFor({ timeout: 2000 });
    // Finished, it leaves the planner's open dispatches for the recently finished ones.
    await planner.locator('.dispatches.finished').locator(`[data-dispatch="${id}"]`).waitFor({ timeout: 2000 });
    const stored = await fx.te.rt.db
      .selectFrom('dispatches')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'completed', team: 'Team Syd 3' });
  });

  it('a cancel asks once more before it is sent', async () => {
    const planner = await fx.loggedIn('plan-aab');
    const id = await dispatched('aabenraa', 4, 'kontrol');
    const card = dispatchCard(planner, id);
    await card.waitFor({ timeout: 2000 });
    await card.getByRole('button', { name: 'Annuller besøg …' }).click();
    await card.getByRole('button', { name: 'Ja, annuller besøget' }).click();
    await planner.locator('.dispatches.finished').locator(`[data-dispatch="${id}"]`).getByText('Annulleret').waitFor();
  });

  it('never shows a planner or an operator another municipality’s dispatches', async () => {
    const [planner, op] = await Promise.all([fx.loggedIn('plan-aab'), fx.loggedIn('op-aab')]);
    const other = await dispatched('toender', 6, 'Tønder-besøg');
    const own = await dispatched('aabenraa', 6, 'Aabenraa-besøg');
    // The later dispatch arriving is the event: by then the other would have arrived too.
    await dispatchCard(planner, own).waitFor({ timeout: 2000 });
    await op.locator(`.dispatch-panel li[data-dispatch="${own}"]`).waitFor({ timeout: 2000 });
    expect(await dispatchCard(planner, other).count()).toBe(0);
    expect(await op.locator(`[data-dispatch="${other}"]`).count()).toBe(0);
    expect(await planner.locator('main').innerText()).not.toContain('Tønder-besøg');
    expect(await op.locator('main').innerText()).not.toContain('Tønder');
    // Planners see no alarms at all.
    expect(await planner.locator('table.board').count()).toBe(0);
  });
});
