// The centre in chromium, against the real console and worker: staffing (operators with a live feed
// open), the supervisors' centre view from GET /v1/centre, and a webhook to home care failing for too
// long (GET /v1/webhooks), on the operators' board and the planner's.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deleteWebhook, putWebhook } from '../../db/webhooks.js';
import { testEvent } from '../support/env.js';
import { browserFixture } from './harness.js';

const fx = browserFixture();

describe('the centre in chromium', () => {
  it('warns an operator alone on duty, and stops warning when a second one opens the board', async () => {
    const page = await fx.loggedIn('op-toe');
    const staffing = page.locator('.staffing');
    // Presence is published when the feed opens; the page polls the centre every few seconds.
    await staffing.filter({ hasText: 'op-toe' }).waitFor({ timeout: 15_000 });
    expect(await staffing.innerText()).toContain('færre end to på vagt');
    // Operators get the staffing line and the banners, not the supervisors' centre view.
    expect(await page.locator('section.centre').count()).toBe(0);
    // A second operator covering Tønder logs in: two on duty.
    await fx.loggedIn('op-both');
    await staffing.getByText('færre end to på vagt').waitFor({ state: 'detached', timeout: 15_000 });
    expect(await staffing.innerText()).toContain('op-both');
  });

  it('shows supervisors the centre view: what waits, per municipality, from the server', async () => {
    const id = await fx.post('aabenraa', testEvent('aabenraa', 12, 'pendant'));
    const page = await fx.loggedIn('sup-all');
    const view = page.locator('section.centre');
    await view.waitFor({ timeout: 10_000 });
    const aabenraa = view.locator('tr[data-municipality="aabenraa"]');
    await aabenraa.waitFor({ timeout: 5000 });
    const cells = await aabenraa.locator('th, td').allInnerTexts();
    expect(cells[0]).toBe('Aabenraa');
    // At least the alarm just posted is waiting.
    expect(Number(cells[1])).toBeGreaterThanOrEqual(1);
    expect(id).toBeTruthy();
  });

  it('alerts operators and shows the planner when a municipality’s webhook has failed for too long', async () => {
    await putWebhook(fx.te.rt.db, 'aabenraa', { url: 'https://pleje.aabenraa.example/rc', secret: 'x'.repeat(40) });
    try {
      // A delivery failing for ten minutes (WEBHOOK_ALERT_AFTER_SECONDS is 300 by default).
      await fx.te.rt.db
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
      const [op, toe, planner] = await Promise.all([
        fx.loggedIn('op-aab'),
        fx.loggedIn('op-toe'),
        fx.loggedIn('plan-aab'),
      ]);
      await op.locator('.webhook-banner').getByText('Besked til hjemmeplejen i Aabenraa fejler siden').waitFor({
        timeout: 20_000,
      });
      await planner.locator('.webhooks .webhook.failing').getByText('Aabenraa: fejler').waitFor({ timeout: 20_000 });
      // Tønder's operator has nothing of Aabenraa's to see.
      await toe.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor();
      expect(await toe.locator('.webhook-banner').count()).toBe(0);
    } finally {
      await deleteWebhook(fx.te.rt.db, 'aabenraa');
    }
  });

  it('gives an analyst the statistics page, without a live feed', async () => {
    const page = await fx.loggedIn('ana-toe', { live: false });
    await page.getByRole('heading', { name: 'Statistik' }).waitFor({ timeout: 5000 });
    expect(await page.locator('table.board').count()).toBe(0);
  });
});
