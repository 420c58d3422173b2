// The board after its console server restarts: the page reconnects by itself with `since`, shows the
// alarm that arrived and the claim made while it was away, and shows nothing twice.
import { describe, expect, it } from 'vitest';
import { claimAlarm } from '../../db/decisions.js';
import { testEvent } from '../support/env.js';
import { browserFixture, row } from './harness.js';

const fx = browserFixture();

describe('the board across a console restart', () => {
  it('resumes from its last seq: nothing missed, nothing shown twice', async () => {
    const page = await fx.loggedIn('op-aab');
    const feeds: string[] = [];
    page.on('websocket', (ws) => feeds.push(ws.url()));
    const before = await fx.post('aabenraa', testEvent('aabenraa', 2, 'fall', { voice: 'no_answer' }));
    const claimed = await fx.post('aabenraa', testEvent('aabenraa', 4, 'pendant'));
    await row(page, claimed).locator('strong').waitFor({ timeout: 5000 });
    await row(page, before).locator('strong').waitFor({ timeout: 5000 });

    await fx.stopConsole();
    await page.getByRole('status').filter({ hasText: 'Afbrudt' }).waitFor({ timeout: 5000 });
    // While the console is down: a new alarm through ingest, and a claim (as another console would store it).
    const during = await fx.post('aabenraa', testEvent('aabenraa', 6, 'smoke'));
    expect((await claimAlarm(fx.te.rt.db, claimed, 'op-both')).outcome).toBe('changed');

    await fx.startConsole();
    await page.getByRole('status').filter({ hasText: 'Forbundet' }).waitFor({ timeout: 10_000 });
    await row(page, during).waitFor({ timeout: 5000 });
    await row(page, claimed).getByText('op-both').waitFor({ timeout: 5000 });
    // It came back with since, not a fresh snapshot.
    expect(feeds.at(-1)).toMatch(/[?&]since=\d+/);
    // Each alarm once, in one row each.
    const alarms = await page
      .locator('tbody tr.row')
      .evaluateAll((rows) => rows.flatMap((r) => (r.getAttribute('data-alarms') ?? '').split(' ')));
    expect(alarms.sort()).toEqual([before, claimed, during].sort());
  });
});
