// With triage down (no worker running), alarms still reach the board at once, marked untriaged, and a
// banner says that triage is behind.
import { describe, expect, it } from 'vitest';
import { testEvent } from '../support/env.js';
import { browserFixture, row } from './harness.js';

const fx = browserFixture({ worker: false });

describe('the board while triage is down', () => {
  it('shows alarms untriaged at once and, once one waits longer than triage ever takes, says triage is behind', async () => {
    const page = await fx.loggedIn('op-aab');
    const id = await fx.post('aabenraa', testEvent('aabenraa', 2, 'fall', { voice: 'no_answer' }));
    await row(page, id).waitFor({ timeout: 2000 });
    expect(await row(page, id).locator('td.triage').innerText()).toContain('Ikke vurderet endnu');
    // Untriaged alarms go first: their urgency is not known yet.
    expect(await page.locator('tbody tr.row').first().getAttribute('data-alarm')).toBe(id);
    const banner = page.locator('.triage-banner');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.innerText()).toContain('Vurderingen halter');
    expect(await banner.innerText()).toContain('Alarmer vises stadig, markeret som ikke vurderet');
  });
});
