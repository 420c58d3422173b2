// What the route fuzz (route-fuzz.test.ts) found, kept as plain cases: each answered 5xx before its fix.
import { describe, expect, it } from 'vitest';
import { consoleFixture } from '../console/helpers.js';

const fx = consoleFixture();

describe('statistics months the database has no date for', () => {
  it('a month of the year 0000, or a range reaching back into it, is 400 naming the month, never 500', async () => {
    for (const url of [
      '/v1/stats/monthly?to=0000-01',
      '/v1/stats/monthly?from=0000-01&to=0000-05',
      '/v1/stats/monthly?to=0001-01',
      '/v1/stats/monthly?to=1900-01',
      '/v1/stats/reports?month=0000-01',
      '/v1/stats/reports/pdf?month=0000-01',
      '/v1/stats/shared?to=0000-03',
      '/v1/stats/shared?from=0000-12&to=0001-01',
    ]) {
      const r = await fx.get('admin', url);
      expect(r.statusCode, `${url}: ${r.body}`).toBe(400);
      expect(r.json().message, url).toMatch(/0000|0001|1899|1900/);
    }
    const earliest = await fx.get('admin', '/v1/stats/monthly?municipality=aabenraa&from=1900-01&to=1900-12');
    expect(earliest.statusCode, earliest.body).toBe(200);
  });
});
