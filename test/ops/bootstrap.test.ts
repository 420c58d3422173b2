// BOOTSTRAP_ADMIN_PASSWORD: the first admin of a fresh installation, stored only as an argon2id hash.
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin, importRegistry } from '../../services/admin/registry.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { createTestEnv, type TestEnv } from '../support/env.js';

// Each test is a fresh installation: a database of its own, with no users.
const envs: TestEnv[] = [];
afterAll(async () => {
  for (const te of envs) await te.close();
});
async function freshInstallation(): Promise<TestEnv> {
  const te = await createTestEnv();
  envs.push(te);
  return te;
}
async function loginStatus(te: TestEnv, password: string): Promise<number> {
  const { app, close } = await buildConsoleApp(te.rt);
  te.onClose(close);
  const r = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'admin', password } });
  return r.statusCode;
}

describe('bootstrap admin', () => {
  it('creates user admin with the password when no admin exists, hashed with argon2id', async () => {
    const te = await freshInstallation();
    expect(await ensureBootstrapAdmin(te.rt.db, 'first-admin-pw-1')).toBe(true);
    const admin = await te.rt.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    expect(admin).toMatchObject({ role: 'admin', municipalities: ['*'] });
    expect(admin.password_hash).toMatch(/^\$argon2id\$/);
    expect(admin.password_hash).not.toContain('first-admin-pw-1');

    const { app, close } = await buildConsoleApp(te.rt);
    te.onClose(close);
    const login = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'admin', password: 'first-admin-pw-1' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toEqual({ username: 'admin', role: 'admin', municipalities: '*' });
  });

  it('changes nothing once an admin exists, also when concurrent starts race', async () => {
    const te = await freshInstallation();
    expect(await ensureBootstrapAdmin(te.rt.db, 'first-admin-pw-1')).toBe(true);
    const results = await Promise.all([1, 2, 3].map(() => ensureBootstrapAdmin(te.rt.db, 'another-password-2')));
    expect(results).toEqual([false, false, false]);
    expect(await loginStatus(te, 'another-password-2')).toBe(401);
    expect(await loginStatus(te, 'first-admin-pw-1')).toBe(200);
    expect(await te.rt.db.selectFrom('users').select('username').execute()).toEqual([{ username: 'admin' }]);
  });

  it('does nothing without a password', async () => {
    const te = await freshInstallation();
    expect(await ensureBootstrapAdmin(te.rt.db, undefined)).toBe(false);
    await importRegistry(te.rt.db, { municipalities: [{ id: 'aeroe', name: 'Ærø', code: '492' }] });
    expect(await te.rt.db.selectFrom('users').selectAll().execute()).toHaveLength(0);
  });
});
