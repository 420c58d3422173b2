// The shared, anonymised figures: every municipality that takes part, in one documented format, for
// admins and for analysts of a municipality that takes part; an opted-out municipality neither shares
// nor sees. No personal data is in them.
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedStatistics } from '../../domain/statistics-views.js';
import { bearer, consoleFixture } from '../console/helpers.js';
import { insertPastAlarms } from './history.js';

const fx = consoleFixture();
const { get } = fx;

const setSharing = async (id: 'aabenraa' | 'toender', shareStatistics: boolean) => {
  const name = id === 'aabenraa' ? 'Aabenraa' : 'Tønder';
  const code = id === 'aabenraa' ? '580' : '550';
  const r = await fx.app.inject({
    method: 'PUT',
    url: '/v1/admin/registry',
    headers: bearer(fx.tokens.admin),
    payload: { municipalities: [{ id, name, code, shareStatistics }] },
  });
  expect(r.statusCode).toBe(200);
};

beforeAll(async () => {
  await insertPastAlarms(fx.te.rt.db, [
    { municipality: 'aabenraa', type: 'pendant', receivedAt: '2026-05-05T08:00:00Z', citizen: 'c-aabenraa-0', claimedAfter: 9, outcome: 'false_alarm' },
    { municipality: 'toender', type: 'fall', receivedAt: '2026-05-06T08:00:00Z', citizen: 'c-toender-1', claimedAfter: 12, outcome: 'dispatch' },
  ]); // prettier-ignore
});

describe('GET /v1/stats/shared', () => {
  it('gives every municipality that takes part, side by side, to an analyst of one of them', async () => {
    const r = await get('ana-toe', '/v1/stats/shared?from=2026-05&to=2026-05');
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(sharedStatistics.safeParse(body).error).toBeUndefined();
    expect(body).toMatchObject({ schemaVersion: 2, from: '2026-05', to: '2026-05' });
    expect(
      body.municipalities.map((m: { id: string; months: { total: number }[] }) => [m.id, m.months[0]!.total]),
    ).toEqual([
      ['aabenraa', 1],
      ['toender', 1],
    ]);
    // Counts and shares only: no citizen, device or user.
    for (const secret of ['c-aabenraa-0', 'c-toender-1', 'dev-', 'op-both']) expect(r.body).not.toContain(secret);
  });

  it('has a documented format: a JSON Schema of the JSON and the CSV columns, which the CSV follows', async () => {
    const schema = (await get('admin', '/v1/stats/shared/schema')).json();
    expect(schema.schemaVersion).toBe(2);
    expect(schema.json.properties.municipalities).toBeDefined();
    const csv = await get('admin', '/v1/stats/shared?from=2026-05&to=2026-05&format=csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(schema.csv.columns.join(','));
    expect(lines).toHaveLength(3);
  });

  it('leaves out a municipality that opted out; its analysts see nothing, admins still the others', async () => {
    await setSharing('toender', false);
    expect((await get('ana-toe', '/v1/stats/shared')).statusCode).toBe(403);
    expect((await get('ana-toe', '/v1/stats/shared/schema')).statusCode).toBe(403);
    const admin = (await get('admin', '/v1/stats/shared?from=2026-05&to=2026-05')).json();
    expect(admin.municipalities.map((m: { id: string }) => m.id)).toEqual(['aabenraa']);
    // Their own statistics stay theirs, as before.
    expect((await get('ana-toe', '/v1/stats/monthly?municipality=toender')).statusCode).toBe(200);
    await setSharing('toender', true);
    expect((await get('ana-toe', '/v1/stats/shared')).statusCode).toBe(200);
  });

  it('is refused to operators, planners and supervisors (403)', async () => {
    for (const user of ['op-both', 'plan-aab', 'sup-all'] as const)
      expect((await get(user, '/v1/stats/shared')).statusCode, user).toBe(403);
  });
});
