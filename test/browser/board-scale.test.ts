// 500 open alarms: the board stays a page of rows, not 500 of them. Only the rows in view (and a few
// around them) are in the document; scrolling brings the later ones.
import { describe, expect, it } from 'vitest';
import { testEvent, testRegistry } from '../support/env.js';
import { browserFixture } from './harness.js';

const reg = testRegistry(500);
reg.municipalities = reg.municipalities.map((m) => ({ ...m, answerTargetSeconds: 3600 }));
const fx = browserFixture({ registry: reg });

describe('a board of 500 open alarms', () => {
  it('renders far fewer rows than 500, and scrolling shows the later ones', async () => {
    const page = await fx.loggedIn('sup-all');
    // 500 devices, so 500 incidents: 250 per municipality, one batch each.
    for (const m of ['aabenraa', 'toender'] as const) {
      const events = Array.from({ length: 250 }, (_, k) =>
        testEvent(m, m === 'aabenraa' ? 2 * k : 2 * k + 1, 'medication'),
      );
      await fx.postBatch(m, events);
    }
    await page.getByText('500 åbne hændelser').waitFor({ timeout: 15_000 });
    const rendered = () => page.locator('tbody tr.row').count();
    expect(await rendered()).toBeLessThan(100);
    expect(await page.locator('table.board').getAttribute('aria-rowcount')).toBe('501');
    const firstShown = await page.locator('tbody tr.row').first().getAttribute('data-incident');

    // Scrolled to the end: the last rows are there, the first ones gone, and still far fewer than 500.
    await page.locator('.scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('tbody tr.row[aria-rowindex="501"]').waitFor({ timeout: 2000 });
    expect(await page.locator(`tbody tr.row[data-incident="${firstShown}"]`).count()).toBe(0);
    expect(await rendered()).toBeLessThan(100);
    // The rows keep their fixed height, so the scroll height stands for all 500.
    const height = await page.locator('.scroller').evaluate((el) => el.scrollHeight);
    expect(height).toBeGreaterThan(500 * 50);
  });
});
