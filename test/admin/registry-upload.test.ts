// PUT /v1/admin/registry: onboarding over the API, for admins only.
import { describe, expect, it } from 'vitest';
import { bearer, consoleAppFixture, login } from '../console/helpers.js';

const fx = consoleAppFixture();

describe('PUT /v1/admin/registry', () => {
  it('lets an admin upsert the registry and answers the counts', async () => {
    const token = await login(fx.app, 'admin');
    const r = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(token),
      payload: {
        municipalities: [
          { id: 'aabenraa', name: 'Aabenraa', code: '580' },
          { id: 'aeroe', name: 'Ærø', code: '492' },
        ],
        users: [{ username: 'op-aeroe', password: 'pw-op-aeroe-123', role: 'operator', municipalities: ['aeroe'] }],
      },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      municipalities: { created: 1, updated: 1 },
      gateways: { created: 0, updated: 0 },
      citizens: { created: 0, updated: 0 },
      devices: { created: 0, updated: 0 },
      users: { created: 1, updated: 0 },
      consents: { created: 0, updated: 0, withdrawn: 0 },
      schedules: { created: 0, updated: 0 },
      keys: [],
      warnings: [],
    });
    const login2 = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'op-aeroe', password: 'pw-op-aeroe-123' },
    });
    expect(login2.json().user).toEqual({ username: 'op-aeroe', role: 'operator', municipalities: ['aeroe'] });
  });

  it('imports 12,000 citizens and their devices in one request (chunked statements, one transaction)', async () => {
    const token = await login(fx.app, 'admin');
    const n = 12_000;
    const citizens = Array.from({ length: n }, (_, i) => ({
      id: `bulk-${i}`,
      municipality: 'aabenraa',
      name: `Borger ${i}`,
      address: `Vej ${i}`,
    }));
    const devices = citizens.map((c) => ({ id: `dev-${c.id}`, citizenId: c.id }));
    const r = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(token),
      payload: { citizens, devices },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ citizens: { created: n, updated: 0 }, devices: { created: n, updated: 0 } });
    const again = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(token),
      payload: { citizens },
    });
    expect(again.json().citizens).toEqual({ created: 0, updated: n });
  });

  it('answers 400 for an invalid registry', async () => {
    const token = await login(fx.app, 'admin');
    const r = await fx.app.inject({
      method: 'PUT',
      url: '/v1/admin/registry',
      headers: bearer(token),
      payload: { users: [{ username: 'x' }] },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const users = await fx.te.rt.db.selectFrom('users').select('username').where('username', '=', 'x').execute();
    expect(users).toHaveLength(0);
  });

  it('refuses a password shorter than 12 characters or among the most common ones, naming the rule', async () => {
    const token = await login(fx.app, 'admin');
    for (const [password, rule] of [
      ['short-pw-1', /at least 12 characters/],
      ['password1234', /most common passwords/],
      ['QWERTYUIOP123', /most common passwords/],
    ] as const) {
      const r = await fx.app.inject({
        method: 'PUT',
        url: '/v1/admin/registry',
        headers: bearer(token),
        payload: { users: [{ username: 'op-weak', password, role: 'operator', municipalities: ['aabenraa'] }] },
      });
      expect(r.statusCode).toBe(400);
      expect(r.json().message).toMatch(/users\.0\.password/);
      expect(r.json().message).toMatch(rule);
    }
    expect(
      await fx.te.rt.db.selectFrom('users').select('username').where('username', '=', 'op-weak').execute(),
    ).toEqual([]);
  });

  it('is refused (403) to every other role, before the body is even looked at', async () => {
    for (const user of ['op-both', 'sup-all', 'plan-aab', 'ana-toe'] as const) {
      const token = await login(fx.app, user);
      // A body that is no registry at all, and one that would make the caller an admin.
      for (const payload of [
        { nonsense: true },
        { users: [{ username: `sneaky-${user}`, password: 'pw-sneaky-12345', role: 'admin', municipalities: '*' }] },
      ]) {
        const r = await fx.app.inject({ method: 'PUT', url: '/v1/admin/registry', headers: bearer(token), payload });
        expect(r.statusCode, user).toBe(403);
        expect(r.json()).toMatchObject({ error: 'forbidden' });
      }
    }
    const users = await fx.te.rt.db
      .selectFrom('users')
      .select('username')
      .where('username', 'like', 'sneaky-%')
      .execute();
    expect(users).toHaveLength(0);
  });
});
