// Session tokens that must not work, on REST and on the live feed, as bearer token and as cookie: forged
// (random, truncated, lengthened, another user's with one character changed, the stored hash instead of
// the token), expired, idle and revoked. And a feed that is open when its session's lifetime ends closes
// within a second (1008). Revocation closing open feeds at once: test/console/sessions.test.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../platform/secrets.js';
import { SECURE_SESSION_COOKIE } from '../../services/console/auth.js';
import type { HttpApp } from '../../platform/http.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { createTestEnv, seedRegistry, type TestEnv } from '../support/env.js';
import { login, openFeed, refusedUpgrade } from '../console/helpers.js';

let te: TestEnv;
let app: HttpApp;
let url: string;
beforeAll(async () => {
  te = await createTestEnv({ SESSION_IDLE_MINUTES: '30' });
  await seedRegistry(te);
  const built = await buildConsoleApp(te.rt, { live: { revalidateMs: 60_000 } });
  te.onClose(built.close);
  app = built.app;
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => te.close());

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The token with its i-th character replaced by another of the same alphabet. */
const oneChanged = (token: string, i: number) => {
  const c = token[i]!;
  const other = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length]!;
  return token.slice(0, i) + other + token.slice(i + 1);
};

/** Every way a token may be presented, each asked on a read, a write and the live feed. */
const presentations = (token: string): { via: string; headers: Record<string, string> }[] => [
  { via: 'bearer', headers: { authorization: `Bearer ${token}` } },
  { via: 'cookie', headers: { cookie: `${SECURE_SESSION_COOKIE}=${token}`, 'x-requested-with': 'responscenter' } },
];

/** Whether the token is refused everywhere: 401 on REST reads and writes, 401 before the feed's upgrade. */
async function refusedEverywhere(token: string, what: string) {
  for (const { via, headers } of presentations(token)) {
    const me = await app.inject({ method: 'GET', url: '/v1/auth/me', headers });
    expect(me.statusCode, `${what} (${via}) GET /v1/auth/me`).toBe(401);
    const list = await app.inject({ method: 'GET', url: '/v1/alarms', headers });
    expect(list.statusCode, `${what} (${via}) GET /v1/alarms`).toBe(401);
    expect(list.body).not.toContain('"alarms"');
    const write = await app.inject({ method: 'POST', url: '/v1/auth/logout-all', headers });
    expect(write.statusCode, `${what} (${via}) POST /v1/auth/logout-all`).toBe(401);
    expect(await refusedUpgrade(url, headers), `${what} (${via}) GET /v1/live`).toBe(401);
  }
}

const sessionRow = (token: string) => te.rt.db.updateTable('sessions').where('token_hash', '=', sha256(token));

describe('a forged token', () => {
  it('random, truncated, lengthened, another user’s with one character changed, or the stored hash: 401 on REST and the live feed', async () => {
    const real = await login(app, 'op-aab');
    const forged: [string, string][] = [
      ['random', randomBytes(32).toString('base64url')],
      ['truncated by one', real.slice(0, -1)],
      ['half', real.slice(0, real.length / 2)],
      ['lengthened by one', `${real}A`],
      ['first character changed', oneChanged(real, 0)],
      ['middle character changed', oneChanged(real, Math.floor(real.length / 2))],
      ['last character changed', oneChanged(real, real.length - 1)],
      ['upper-cased', real.toUpperCase() === real ? real.toLowerCase() : real.toUpperCase()],
      ['the stored hash', sha256(real)],
      ['very long', 'A'.repeat(8000)],
    ];
    for (const [what, token] of forged) await refusedEverywhere(token, `a token ${what}`);
    // The real one works, through both, so the refusals above are the forgery's.
    for (const { via, headers } of presentations(real))
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers })).statusCode, via).toBe(200);
  });
});

describe('an expired, idle or revoked session', () => {
  it('expired (its absolute lifetime over): 401 on REST and the live feed', async () => {
    const token = await login(app, 'op-aab');
    await sessionRow(token)
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    await refusedEverywhere(token, 'an expired session');
  });

  it('idle longer than SESSION_IDLE_MINUTES: 401 on REST and the live feed', async () => {
    const token = await login(app, 'op-aab');
    await sessionRow(token)
      .set({ last_seen_at: new Date(Date.now() - 31 * 60_000) })
      .execute();
    await refusedEverywhere(token, 'an idle session');
  });

  it('revoked (logged out): 401 on REST and the live feed', async () => {
    const token = await login(app, 'op-aab');
    const out = await app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.statusCode).toBe(204);
    await refusedEverywhere(token, 'a logged-out session');
  });
});

describe('a live feed whose session’s lifetime ends while it is open', () => {
  it('closes with 1008 within a second of the expiry', async () => {
    // Sessions of two seconds, on a console whose periodic re-check is a minute away.
    const short = await createTestEnv({ SESSION_HOURS: String(2 / 3600) });
    te.onClose(() => short.close());
    await seedRegistry(short);
    const built = await buildConsoleApp(short.rt, { live: { revalidateMs: 60_000 } });
    short.onClose(built.close);
    const shortUrl = await built.app.listen({ port: 0, host: '127.0.0.1' });
    const r = await built.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'op-aab', password: 'pw-op-aab-123' },
    });
    const { token, expiresAt } = r.json() as { token: string; expiresAt: string };
    const feed = await openFeed(shortUrl, { token });
    await feed.synced();
    const deadline = new Date(expiresAt).getTime() + 1000;
    const closed = await Promise.race([
      feed.closed.then((c) => ({ ...c, at: Date.now() })),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))),
    ]);
    expect(closed, 'the feed closed within a second of its session’s expiry').not.toBeNull();
    expect(closed!.code).toBe(1008);
    expect(closed!.at).toBeGreaterThanOrEqual(new Date(expiresAt).getTime() - 50);
    expect(
      (await built.app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(401);
  });
});
