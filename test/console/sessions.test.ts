// Sessions end when they should, everywhere at once: logging out everywhere, an admin ending one, a
// user disabled or their password, role or scope changed, or a session left idle. Their live feeds
// close within a second, on every console instance, whoever ended the session.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleApp } from '../../services/console/app.js';
import { createTestEnv, eventually, seedRegistry, type TestEnv } from '../support/env.js';
import { bearer, login, openFeed, type FeedClient, type TestUser } from './helpers.js';
import type { HttpApp } from '../../platform/http.js';

let te: TestEnv;
/** Two console instances on one database and Redis. */
let apps: HttpApp[];
let urls: string[];

beforeAll(async () => {
  te = await createTestEnv({ SESSION_IDLE_MINUTES: '30' });
  await seedRegistry(te);
  apps = [];
  urls = [];
  for (let i = 0; i < 2; i++) {
    const built = await buildConsoleApp(te.runtime(), { live: { revalidateMs: 60_000 } });
    te.onClose(built.close);
    apps.push(built.app);
    urls.push(await built.app.listen({ port: 0, host: '127.0.0.1' }));
  }
});
afterAll(() => te.close());

const me = (token: string, app = apps[0]!) => app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) });
const registry = async (payload: object) => {
  const r = await apps[0]!.inject({
    method: 'PUT',
    url: '/v1/admin/registry',
    headers: bearer(await login(apps[0]!, 'admin')),
    payload,
  });
  expect(r.statusCode).toBe(200);
};
/** A live feed of `user` on instance i, synced. */
const feedOf = async (user: TestUser, i: number): Promise<{ token: string; feed: FeedClient }> => {
  const token = await login(apps[i]!, user);
  const feed = await openFeed(urls[i]!, { token });
  await feed.synced();
  return { token, feed };
};
/** The feed closes with 1008 within a second of `act`; the periodic re-check is a minute away. */
const closesWithinASecond = async (feed: FeedClient, act: () => Promise<unknown>) => {
  const t0 = Date.now();
  await act();
  const closed = await Promise.race([feed.closed, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
  expect(closed, 'the feed closed within a second').not.toBeNull();
  expect(closed!.code).toBe(1008);
  return Date.now() - t0;
};

describe('ending sessions', () => {
  it('log out everywhere ends every session of the user and closes their feeds on every instance; others keep theirs', async () => {
    const [a, b, other] = [await feedOf('op-aab', 0), await feedOf('op-aab', 1), await feedOf('op-toe', 1)];
    await closesWithinASecond(b.feed, async () => {
      const r = await apps[0]!.inject({ method: 'POST', url: '/v1/auth/logout-all', headers: bearer(a.token) });
      expect(r.statusCode).toBe(200);
      expect(r.json().ended).toBeGreaterThanOrEqual(2);
    });
    expect((await a.feed.closed).code).toBe(1008);
    for (const t of [a.token, b.token]) expect((await me(t)).statusCode).toBe(401);
    expect((await me(other.token)).statusCode).toBe(200);
    expect(other.feed.ws.readyState).toBe(other.feed.ws.OPEN);
    await other.feed.close();
  });

  it('a changed password ends the user’s sessions at once; a re-import without one keeps them', async () => {
    const { token, feed } = await feedOf('op-toe', 1);
    await registry({ users: [{ username: 'op-toe', role: 'operator', municipalities: ['toender'] }] });
    expect((await me(token)).statusCode).toBe(200);
    await closesWithinASecond(feed, () =>
      registry({
        users: [{ username: 'op-toe', password: 'a-new-long-pass-77', role: 'operator', municipalities: ['toender'] }],
      }),
    );
    expect((await me(token)).statusCode).toBe(401);
    expect(
      (
        await apps[0]!.inject({
          method: 'POST',
          url: '/v1/auth/login',
          payload: { username: 'op-toe', password: 'a-new-long-pass-77' },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('a changed role or scope ends the user’s sessions at once', async () => {
    const { token, feed } = await feedOf('op-both', 0);
    await closesWithinASecond(feed, () =>
      registry({ users: [{ username: 'op-both', role: 'operator', municipalities: ['aabenraa'] }] }),
    );
    expect((await me(token)).statusCode).toBe(401);
  });

  it('a disabled user cannot log in and loses every session at once; enabled again, logs in', async () => {
    const { token, feed } = await feedOf('plan-aab', 1);
    await closesWithinASecond(feed, () =>
      registry({ users: [{ username: 'plan-aab', role: 'planner', municipalities: ['aabenraa'], disabled: true }] }),
    );
    expect((await me(token)).statusCode).toBe(401);
    const refused = await apps[1]!.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'plan-aab', password: 'pw-plan-aab-123' },
    });
    expect(refused.statusCode).toBe(401);
    await registry({ users: [{ username: 'plan-aab', role: 'planner', municipalities: ['aabenraa'] }] });
    expect((await me(await login(apps[1]!, 'plan-aab'))).statusCode).toBe(200);
  });

  it('a session deleted outside the console (psql, a script) closes its feeds at once too', async () => {
    const { feed } = await feedOf('sup-all', 0);
    await closesWithinASecond(feed, () => sql`DELETE FROM sessions WHERE username = 'sup-all'`.execute(te.rt.db));
  });
});

describe('administrators', () => {
  it('list sessions in force and end one; its feed closes at once; other roles are refused', async () => {
    const admin = await login(apps[0]!, 'admin');
    const { token, feed } = await feedOf('op-aab', 0);
    const list = await apps[1]!.inject({
      method: 'GET',
      url: '/v1/admin/sessions?username=op-aab',
      headers: bearer(admin),
    });
    expect(list.statusCode).toBe(200);
    const sessions = list.json().sessions as { id: string; username: string; address: string | null }[];
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    expect(sessions.every((s) => s.username === 'op-aab')).toBe(true);
    expect(JSON.stringify(list.json())).not.toContain(token);
    for (const u of ['op-aab', 'sup-all'] as const) {
      const t = await login(apps[0]!, u);
      expect((await apps[0]!.inject({ method: 'GET', url: '/v1/admin/sessions', headers: bearer(t) })).statusCode).toBe(
        403,
      );
    }
    await closesWithinASecond(feed, async () => {
      for (const s of sessions) {
        const r = await apps[1]!.inject({
          method: 'DELETE',
          url: `/v1/admin/sessions/${s.id}`,
          headers: bearer(admin),
        });
        expect(r.statusCode).toBe(204);
      }
    });
    expect((await me(token)).statusCode).toBe(401);
    const again = await apps[1]!.inject({
      method: 'DELETE',
      url: `/v1/admin/sessions/${sessions[0]!.id}`,
      headers: bearer(admin),
    });
    expect(again.statusCode).toBe(404);
  });
});

describe('the idle timeout', () => {
  it('ends a session unused for longer than SESSION_IDLE_MINUTES; one in use stays', async () => {
    const idle = await login(apps[0]!, 'op-aab');
    const used = await login(apps[0]!, 'op-aab');
    await sql`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = encode(sha256(${idle}::bytea), 'hex')`.execute(
      te.rt.db,
    );
    await sql`UPDATE sessions SET last_seen_at = now() - interval '29 minutes' WHERE token_hash = encode(sha256(${used}::bytea), 'hex')`.execute(
      te.rt.db,
    );
    expect((await me(idle)).statusCode).toBe(401);
    // A request is a use: the clock starts again.
    expect((await me(used)).statusCode).toBe(200);
    const seen = await sql<{
      idle_s: number;
    }>`SELECT extract(epoch FROM now() - last_seen_at)::float AS idle_s FROM sessions WHERE token_hash = encode(sha256(${used}::bytea), 'hex')`.execute(
      te.rt.db,
    );
    expect(seen.rows[0]!.idle_s).toBeLessThan(60);
  });

  it('counts an open live feed as use', async () => {
    const built = await buildConsoleApp(te.runtime(), { live: { revalidateMs: 50 } });
    te.onClose(built.close);
    const url = await built.app.listen({ port: 0, host: '127.0.0.1' });
    const token = await login(built.app, 'op-aab');
    const feed = await openFeed(url, { token });
    await feed.synced();
    await sql`UPDATE sessions SET last_seen_at = now() - interval '20 minutes' WHERE token_hash = encode(sha256(${token}::bytea), 'hex')`.execute(
      te.rt.db,
    );
    await eventually(
      async () =>
        (
          await sql<{
            fresh: boolean;
          }>`SELECT last_seen_at > now() - interval '10 seconds' AS fresh FROM sessions WHERE token_hash = encode(sha256(${token}::bytea), 'hex')`.execute(
            te.rt.db,
          )
        ).rows[0]?.fresh,
      5000,
      'the open feed marking its session as used',
    );
    await feed.close();
  });
});
