// Logging in, sessions, and that every request is judged by the user's current role and scope.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { delayAfter, LOGIN_THROTTLE_DEFAULTS } from '../../platform/login-throttle.js';
import { sha256 } from '../../platform/secrets.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { bearer, consoleAppFixture, login } from './helpers.js';

const fx = consoleAppFixture();

const me = (headers: Record<string, string>) => fx.app.inject({ method: 'GET', url: '/v1/auth/me', headers });

describe('POST /v1/auth/login', () => {
  it('answers a token, its expiry and the user, and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    // The session's clock is the database's: read it just before and just after the login.
    const dbNow = async () =>
      (await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(fx.te.rt.db)).rows[0]!.now.getTime();
    const before = await dbNow();
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'op-both', password: 'pw-op-both-123' },
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      user: { username: 'op-both', role: 'operator', municipalities: ['aabenraa', 'toender'] },
    });
    const after = await dbNow();
    const lifetime = fx.te.config.sessionHours * 3_600_000;
    expect(Date.parse(body.expiresAt)).toBeGreaterThanOrEqual(before + lifetime);
    expect(Date.parse(body.expiresAt)).toBeLessThanOrEqual(after + lifetime);
    const cookie = String(r.headers['set-cookie']);
    // By default the cookie is __Host-: Secure, for this host only (no Domain), Path=/.
    expect(cookie.startsWith(`__Host-rc_session=${body.token};`)).toBe(true);
    expect(cookie).toMatch(/; Secure(;|$)/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/(;|$)/);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).toContain(`Max-Age=${fx.te.config.sessionHours * 3600}`);
  });

  it('stores only a hash of the token', async () => {
    const token = await login(fx.app, 'op-aab');
    const rows = await fx.te.rt.db
      .selectFrom('sessions')
      .select('token_hash')
      .where('username', '=', 'op-aab')
      .execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256(token));
    expect(rows.map((r) => r.token_hash)).not.toContain(token);
  });

  it('says "*" for a user of every municipality', async () => {
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'sup-all', password: 'pw-sup-all-123' },
    });
    expect(r.json().user).toEqual({ username: 'sup-all', role: 'supervisor', municipalities: '*' });
  });

  it('answers 401 invalid_credentials alike for a wrong password and an unknown user, and sets no cookie', async () => {
    for (const payload of [
      { username: 'op-aab', password: 'wrong-password' },
      { username: 'nobody', password: 'pw-op-aab-123' },
    ]) {
      const r = await fx.app.inject({ method: 'POST', url: '/v1/auth/login', payload });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ error: 'invalid_credentials', message: expect.any(String) });
      expect(r.headers['set-cookie']).toBeUndefined();
    }
  });

  it('answers 400 with the contract error body for a malformed login', async () => {
    const r = await fx.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: '' } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({
      error: 'invalid_request',
      issues: expect.arrayContaining([expect.objectContaining({ path: 'password' })]),
    });
  });

  it('slows down password guessing: after 5 failures of one name from one address, 429 with Retry-After before the password is checked', async () => {
    const attempt = (password: string) =>
      fx.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: '198.51.100.1',
        payload: { username: 'op-toe', password },
      });
    for (let i = 0; i < LOGIN_THROTTLE_DEFAULTS.pair.free; i++)
      expect((await attempt(`guess-${i}`)).statusCode).toBe(401);
    const limited = await attempt('guess-x');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json()).toMatchObject({ error: 'rate_limited' });
    // Even the right password waits: a guess during the delay tells nothing.
    expect((await attempt('pw-op-toe-123')).statusCode).toBe(429);
    // Other users, and the same user elsewhere, are not locked out by someone guessing at one name.
    const elsewhere = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: '198.51.100.2',
      payload: { username: 'op-toe', password: 'pw-op-toe-123' },
    });
    expect(elsewhere.statusCode).toBe(200);
    const other = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: '198.51.100.1',
      payload: { username: 'op-aab', password: 'pw-op-aab-123' },
    });
    expect(other.statusCode).toBe(200);
  });

  it('the delay doubles with each failure and is capped', () => {
    const rule = LOGIN_THROTTLE_DEFAULTS.pair;
    expect([4, 5, 6, 7].map((n) => delayAfter(rule, n))).toEqual([0, 1_000, 2_000, 4_000]);
    expect(delayAfter(rule, 100)).toBe(rule.maxMs);
  });

  it('counts failures across console instances, and across addresses for one account, sparing the user’s own workstation', async () => {
    // A second console instance on the same database and Redis.
    const second = await buildConsoleApp(fx.te.runtime());
    fx.te.onClose(second.close);
    const apps = [fx.app, second.app];
    const attempt = (i: number, address: string, password: string) =>
      apps[i % 2]!.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: address,
        payload: { username: 'sup-all', password },
      });
    // The supervisor's own workstation has logged in before.
    expect((await attempt(0, '192.0.2.10', 'pw-sup-all-123')).statusCode).toBe(200);
    // A distributed guesser: a few guesses from each of many addresses, spread over both instances.
    const perAddress = LOGIN_THROTTLE_DEFAULTS.pair.free - 1;
    const addresses = Math.ceil(LOGIN_THROTTLE_DEFAULTS.account.free / perAddress);
    let n = 0;
    for (let a = 0; a < addresses; a++)
      for (let k = 0; k < perAddress; k++)
        expect((await attempt(n++, `203.0.113.${a + 1}`, `guess-${n}`)).statusCode).toBe(401);
    // The account now waits at any new address, on either instance, whatever the password...
    expect((await attempt(0, '203.0.113.200', 'pw-sup-all-123')).statusCode).toBe(429);
    expect((await attempt(1, '203.0.113.201', 'guess')).statusCode).toBe(429);
    // ...but not at the workstation it logged in from: the guesser cannot lock the supervisor out.
    expect((await attempt(1, '192.0.2.10', 'pw-sup-all-123')).statusCode).toBe(200);
  });

  it('never logs a password or a token', async () => {
    const from = fx.te.logs.length;
    const token = await login(fx.app, 'op-toe');
    expect((await me(bearer(token))).statusCode).toBe(200);
    // Both requests were logged (this test's lines only), so there was something to leak into.
    const lines = fx.te.logs.slice(from);
    expect(lines.some((l) => l.includes('/v1/auth/login'))).toBe(true);
    expect(lines.some((l) => l.includes('/v1/auth/me'))).toBe(true);
    // Every line so far, this test's and the earlier requests' alike.
    const logs = fx.te.logs.join('');
    expect(logs).not.toContain('pw-op-toe-123');
    expect(logs).not.toContain(token);
  });
});

describe('the session cookie over plain HTTP (COOKIE_SECURE=false)', () => {
  it('is refused unless every service listens on a loopback address', () => {
    const env = { COOKIE_SECURE: 'false' };
    for (const host of ['0.0.0.0', '192.0.2.7', '::', 'console.example'])
      expect(() => loadConfig({ ...env, HOST: host })).toThrow(/COOKIE_SECURE: false .* loopback address/);
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      expect(loadConfig({ ...env, HOST: host }).cookieSecure).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0' }).cookieSecure).toBe(true);
  });

  it('is then rc_session without Secure, and logs in, authenticates and logs out', async () => {
    const plain = await buildConsoleApp(fx.te.runtime({ COOKIE_SECURE: 'false' }));
    fx.te.onClose(plain.close);
    const r = await plain.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'op-aab', password: 'pw-op-aab-123' },
    });
    const cookie = String(r.headers['set-cookie']);
    const token = (r.json() as { token: string }).token;
    expect(cookie.startsWith(`rc_session=${token};`)).toBe(true);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const viaCookie = await plain.app.inject({ url: '/v1/auth/me', headers: { cookie: `rc_session=${token}` } });
    expect(viaCookie.statusCode).toBe(200);
    // The secure name means nothing to it, and the plain name nothing to a console with the default.
    expect(
      (await plain.app.inject({ url: '/v1/auth/me', headers: { cookie: `__Host-rc_session=${token}` } })).statusCode,
    ).toBe(401);
    expect((await me({ cookie: `rc_session=${token}` })).statusCode).toBe(401);
    const out = await plain.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { cookie: `rc_session=${token}`, 'x-requested-with': 'responscenter' },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^rc_session=;.*Max-Age=0/);
  });
});

describe('sessions', () => {
  it('accepts the session as a bearer token and as the cookie', async () => {
    const token = await login(fx.app, 'op-aab');
    const viaBearer = await me(bearer(token));
    const viaCookie = await me({ cookie: `__Host-rc_session=${token}` });
    for (const r of [viaBearer, viaCookie]) {
      expect(r.statusCode).toBe(200);
      expect(r.json().user).toEqual({ username: 'op-aab', role: 'operator', municipalities: ['aabenraa'] });
    }
  });

  it('answers 401 without a session, with an unknown token and with a malformed Authorization header', async () => {
    for (const headers of [
      {},
      bearer('not-a-token'),
      { authorization: 'Basic b3A6cHc=' },
      { cookie: '__Host-rc_session=nope' },
    ]) {
      const r = await fx.app.inject({ method: 'GET', url: '/v1/alarms', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
    }
  });

  it('refuses an expired session', async () => {
    const token = await login(fx.app, 'op-aab');
    await fx.te.rt.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('token_hash', '=', sha256(token))
      .execute();
    expect((await me(bearer(token))).statusCode).toBe(401);
  });

  it('ends the session at logout and clears the cookie', async () => {
    const token = await login(fx.app, 'op-aab');
    const r = await fx.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      // As the console's page sends it (services/console/protected.ts).
      headers: { cookie: `__Host-rc_session=${token}`, 'x-requested-with': 'responscenter' },
    });
    expect(r.statusCode).toBe(204);
    expect(String(r.headers['set-cookie'])).toMatch(/^__Host-rc_session=;.*Max-Age=0.*Secure/);
    expect((await me(bearer(token))).statusCode).toBe(401);
  });

  it('a changed role or scope ends the user’s sessions at once, whoever changed it: the next request is 401', async () => {
    const session = async (username: string, token: string) => {
      await fx.te.rt.db
        .insertInto('sessions')
        .values({ token_hash: sha256(token), username, expires_at: new Date(Date.now() + 3_600_000) })
        .execute();
      return token;
    };
    await fx.te.rt.db
      .insertInto('users')
      .values({ username: 'op-temp', password_hash: '', role: 'operator', municipalities: ['aabenraa'] })
      .execute();
    const first = await session('op-temp', 'a-test-session-token-for-op-temp');
    expect((await fx.app.inject({ method: 'GET', url: '/v1/alarms', headers: bearer(first) })).statusCode).toBe(200);
    // A direct UPDATE, as from psql: the database itself ends the sessions.
    await fx.te.rt.db.updateTable('users').set({ role: 'analyst' }).where('username', '=', 'op-temp').execute();
    expect((await fx.app.inject({ method: 'GET', url: '/v1/alarms', headers: bearer(first) })).statusCode).toBe(401);
    const second = await session('op-temp', 'another-test-session-token-op-temp');
    expect((await me(bearer(second))).statusCode).toBe(200);
    await fx.te.rt.db
      .updateTable('users')
      .set({ municipalities: ['toender'] })
      .where('username', '=', 'op-temp')
      .execute();
    expect((await me(bearer(second))).statusCode).toBe(401);
  });
});
