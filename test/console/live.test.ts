// The live feed over real WebSockets: snapshot, synced, live changes, scope, and how feeds end.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { currentSeq } from '../../db/changes.js';
import type { LiveMessage } from '../../domain/views.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { createTestEnv, eventually, metricsText, seedRegistry } from '../support/env.js';
import {
  bearer,
  consoleFixture,
  login,
  newAlarm,
  openFeed,
  refusedUpgrade,
  settledSeq,
  storeAlarms,
  type FeedClient,
  type TestUser,
} from './helpers.js';

const fx = consoleFixture();
let url: string;
const feeds: FeedClient[] = [];

// Runs after the fixture's own beforeAll has built the app.
beforeAll(async () => {
  url = await fx.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => Promise.all(feeds.map((f) => f.close())));

const feed = async (user: TestUser, since?: number) => {
  const f = await openFeed(url, { token: fx.tokens[user] }, since === undefined ? {} : { since });
  feeds.push(f);
  return f;
};
const post = fx.post;
const beforeSynced = (f: FeedClient) =>
  f.messages.slice(
    0,
    f.messages.findIndex((m) => m.type === 'synced'),
  );
const entityId = (m: LiveMessage) => (m.type === 'alarm' ? m.alarm.id : m.type === 'dispatch' ? m.dispatch.id : null);
/**
 * A console server of the test's own on the file's database, closed when the test ends: its feeds,
 * connection count and shutdown are the test's alone.
 */
async function ownConsole(live: NonNullable<Parameters<typeof buildConsoleApp>[1]>['live'] = {}) {
  const built = await buildConsoleApp(fx.te.runtime(), { live });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= built.close());
  onTestFinished(close);
  const listening = await built.app.listen({ port: 0, host: '127.0.0.1' });
  return { app: built.app, hub: built.hub, url: listening, close };
}
const seqs = (ms: LiveMessage[]) => ms.filter((m) => m.type !== 'synced').map((m) => m.seq);
const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

describe('a new feed', () => {
  it('starts with the user’s open alarms and dispatches, each with the seq of its latest change, then synced', async () => {
    const [open, held, done, other] = await storeAlarms(
      fx.te.rt,
      newAlarm('aabenraa', 0),
      newAlarm('aabenraa', 1),
      newAlarm('aabenraa', 2),
      newAlarm('toender', 0),
    );
    const claimed = (await post('op-aab', `/v1/alarms/${held}/claim`)).json();
    const resolved = await post('op-aab', `/v1/alarms/${done}/resolve`, { outcome: 'dispatch' });
    const dispatchId = resolved.json().dispatch.id as string;
    const head = await settledSeq(fx.te.rt);

    const f = await feed('op-aab');
    const synced = await f.synced();
    expect(synced).toEqual({ type: 'synced', seq: head });
    const snapshot = beforeSynced(f);
    const ids = snapshot.map(entityId);
    expect(ids).toEqual(expect.arrayContaining([open, held, dispatchId]));
    expect(ids).not.toContain(done);
    expect(ids).not.toContain(other);
    expect(increasing(seqs(snapshot))).toBe(true);
    const latest = async (id: string) =>
      Number(
        (
          await fx.te.rt.db
            .selectFrom('changes')
            .select('seq')
            .where('entity_id', '=', id)
            .orderBy('seq', 'desc')
            .executeTakeFirstOrThrow()
        ).seq,
      );
    const heldMessage = snapshot.find((m) => entityId(m) === held)!;
    expect(heldMessage).toEqual({ type: 'alarm', seq: await latest(held!), alarm: claimed });
    expect(snapshot.find((m) => entityId(m) === dispatchId)).toMatchObject({
      type: 'dispatch',
      seq: await latest(dispatchId),
      dispatch: { status: 'requested' },
    });
  });

  it('shows an alarm as received as soon as it is stored, then every change live, in increasing seq', async () => {
    const f = await feed('op-aab');
    await f.synced();
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 3, 'fall'));
    const received = await f.waitFor((m) => m.type === 'alarm' && m.alarm.id === id, 2000, 'the new alarm');
    expect(received).toMatchObject({ type: 'alarm', alarm: { id, status: 'received', type: 'fall', triage: null } });
    await post('op-aab', `/v1/alarms/${id}/claim`);
    await post('op-aab', `/v1/alarms/${id}/resolve`, { outcome: 'dispatch' });
    const dispatch = await f.waitFor((m) => m.type === 'dispatch' && m.dispatch.alarmId === id, 2000, 'the dispatch');
    const mine = f.messages.filter((m) => entityId(m) === id);
    expect(mine.map((m) => (m.type === 'alarm' ? m.alarm.status : ''))).toEqual(['received', 'claimed', 'resolved']);
    expect(dispatch.seq).toBe(mine[2]!.seq + 1);
    const afterSync = f.messages.slice(f.messages.findIndex((m) => m.type === 'synced') + 1);
    expect(increasing(seqs(afterSync))).toBe(true);
  });

  it('with since: replays exactly the changes after it that the user may see, then synced', async () => {
    const since = await settledSeq(fx.te.rt);
    const [a, t] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 4), newAlarm('toender', 4));
    await post('op-both', `/v1/alarms/${a}/claim`);
    await post('op-both', `/v1/alarms/${t}/resolve`, { outcome: 'dispatch' });
    const head = await settledSeq(fx.te.rt);
    const f = await feed('op-aab', since);
    expect(await f.synced()).toEqual({ type: 'synced', seq: head });
    const visible = await fx.te.rt.db
      .selectFrom('changes')
      .select('seq')
      .where('seq', '>', since)
      .where('municipality_id', '=', 'aabenraa')
      .orderBy('seq')
      .execute();
    expect(seqs(beforeSynced(f))).toEqual(visible.map((r) => Number(r.seq)));
    expect(beforeSynced(f).map(entityId)).toEqual([a, a]);
  });

  it('treats a since beyond the log’s head (another database) as no since: a snapshot', async () => {
    const [id] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 6));
    await settledSeq(fx.te.rt);
    const f = await feed('op-aab', Number.MAX_SAFE_INTEGER);
    const synced = await f.synced();
    expect(synced.seq).toBe(await currentSeq(fx.te.rt.db));
    expect(beforeSynced(f).length).toBeGreaterThan(0);
    expect(beforeSynced(f).map(entityId)).toContain(id);
    // The very snapshot a feed opened without since starts with (nothing was written in between).
    const plain = await feed('op-aab');
    expect(await plain.synced()).toEqual(synced);
    expect(beforeSynced(f)).toEqual(beforeSynced(plain));
  });
});

describe('who sees what', () => {
  it('op-aab never receives a toender message; a planner gets only its municipality’s dispatch messages', async () => {
    const [opAab, planner, opBoth] = await Promise.all([feed('op-aab'), feed('plan-aab'), feed('op-both')]);
    await Promise.all([opAab.synced(), planner.synced(), opBoth.synced()]);
    const [a, t] = await storeAlarms(fx.te.rt, newAlarm('aabenraa', 5), newAlarm('toender', 5));
    await post('op-both', `/v1/alarms/${a}/resolve`, { outcome: 'dispatch' });
    await post('op-both', `/v1/alarms/${t}/resolve`, { outcome: 'dispatch' });
    const tDispatch = await opBoth.waitFor(
      (m) => m.type === 'dispatch' && m.dispatch.alarmId === t,
      2000,
      'the toender dispatch',
    );
    const tDispatchId = tDispatch.type === 'dispatch' ? tDispatch.dispatch.id : '';
    expect((await post('plan-aab', `/v1/dispatches/${tDispatchId}/status`, { status: 'accepted' })).statusCode).toBe(
      404,
    );
    const aDispatch = await planner.waitFor(
      (m) => m.type === 'dispatch' && m.dispatch.alarmId === a,
      2000,
      'the aabenraa dispatch',
    );
    await opAab.waitFor((m) => m.type === 'dispatch' && m.dispatch.alarmId === a, 2000, 'the aabenraa dispatch');
    // A fence: a later change that op-aab and the planner may both see. Feeds deliver in seq order, so
    // once it has arrived every toender change before it would have arrived too.
    const aDispatchId = aDispatch.type === 'dispatch' ? aDispatch.dispatch.id : '';
    expect((await post('plan-aab', `/v1/dispatches/${aDispatchId}/status`, { status: 'accepted' })).statusCode).toBe(
      200,
    );
    const fence = (m: LiveMessage) =>
      m.type === 'dispatch' && m.dispatch.id === aDispatchId && m.dispatch.status === 'accepted';
    await Promise.all([opAab.waitFor(fence, 2000, 'the fence'), planner.waitFor(fence, 2000, 'the fence')]);

    const municipalities = (f: FeedClient) =>
      f.messages.flatMap((m) =>
        m.type === 'alarm' ? [m.alarm.municipality] : m.type === 'dispatch' ? [m.dispatch.municipality] : [],
      );
    expect(municipalities(opAab).every((m) => m === 'aabenraa')).toBe(true);
    expect(opAab.messages.map(entityId)).toContain(a);
    expect(opAab.messages.map(entityId)).not.toContain(t);
    expect(planner.messages.every((m) => m.type === 'dispatch' || m.type === 'synced')).toBe(true);
    expect(municipalities(planner).every((m) => m === 'aabenraa')).toBe(true);
    expect(aDispatch).toMatchObject({ dispatch: { municipality: 'aabenraa', status: 'requested' } });
    expect(opBoth.messages.map(entityId)).toEqual(expect.arrayContaining([a, t]));
  });

  it('answers 401 without a session, 403 for analysts and 400 for an invalid since, before the upgrade', async () => {
    expect(await refusedUpgrade(url, {})).toBe(401);
    expect(await refusedUpgrade(url, bearer('not-a-token'))).toBe(401);
    expect(await refusedUpgrade(url, bearer(fx.tokens['ana-toe']))).toBe(403);
    expect(await refusedUpgrade(url, bearer(fx.tokens['op-aab']), '?since=-1')).toBe(400);
    expect(await refusedUpgrade(url, bearer(fx.tokens['op-aab']), '?since=abc')).toBe(400);
  });

  it('answers 426 to a plain GET of the live feed', async () => {
    const r = await fx.app.inject({ method: 'GET', url: '/v1/live', headers: bearer(fx.tokens['op-aab']) });
    expect(r.statusCode).toBe(426);
  });

  it('accepts the session cookie, but not from a foreign origin', async () => {
    const f = await openFeed(url, { cookie: fx.tokens['op-toe'] });
    feeds.push(f);
    await f.synced();
    expect(
      await refusedUpgrade(url, { cookie: `__Host-rc_session=${fx.tokens['op-toe']}`, origin: 'https://evil.example' }),
    ).toBe(403);
  });

  it('counts open feeds in rc_live_connections', async () => {
    // A console of its own, so every feed it counts is one of this test's.
    const own = await ownConsole();
    const open = async () => {
      const metrics = await metricsText(own.app);
      return Number(/^rc_live_connections\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    };
    expect(await open()).toBe(0);
    const a = await openFeed(own.url, { token: fx.tokens['sup-all'] });
    const b = await openFeed(own.url, { token: fx.tokens['op-aab'] });
    await Promise.all([a.synced(), b.synced()]);
    expect(await open()).toBe(2);
    await a.close();
    // The server notices the close on its own side of the socket; nothing announces it.
    await eventually(async () => (await open()) === 1, 2000, 'rc_live_connections 1');
    await b.close();
    await eventually(async () => (await open()) === 0, 2000, 'rc_live_connections 0');
  });
});

describe('how a feed ends', () => {
  const options = { revalidateMs: 100, maxBufferedBytes: 64 * 1024 };

  it('ends a feed with 1008 once its session is logged out', async () => {
    const other = await ownConsole(options);
    const token = (
      await other.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: 'op-toe', password: 'pw-op-toe-123' },
      })
    ).json().token;
    const f = await openFeed(other.url, { token });
    await f.synced();
    await other.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(token) });
    expect((await f.closed).code).toBe(1008);
  });

  it('ends a feed with 1008 when the user’s scope changes', async () => {
    const other = await ownConsole(options);
    await fx.te.rt.db
      .insertInto('users')
      .values({ username: 'op-moving', password_hash: '', role: 'operator', municipalities: ['aabenraa'] })
      .execute();
    const token = 'a-test-session-token-for-op-moving';
    const { sha256 } = await import('../../platform/secrets.js');
    await fx.te.rt.db
      .insertInto('sessions')
      .values({ token_hash: sha256(token), username: 'op-moving', expires_at: new Date(Date.now() + 3_600_000) })
      .execute();
    const f = await openFeed(other.url, { token });
    await f.synced();
    await fx.te.rt.db
      .updateTable('users')
      .set({ municipalities: ['toender'] })
      .where('username', '=', 'op-moving')
      .execute();
    expect((await f.closed).code).toBe(1008);
  });

  it('closes a client too slow to read with 1013, so it reconnects with since', async () => {
    // A database of its own: the thousands of alarms this takes would weigh on every other feed's snapshot.
    const te = await createTestEnv();
    onTestFinished(() => te.close());
    await seedRegistry(te);
    const other = await buildConsoleApp(te.rt, { live: options });
    te.onClose(other.close);
    const url = await other.app.listen({ port: 0, host: '127.0.0.1' });
    const [supAll, opAab] = await Promise.all([login(other.app, 'sup-all'), login(other.app, 'op-aab')]);
    const f = await openFeed(url, { token: supAll });
    await f.synced();
    f.ws.pause();
    // The fence: a client that sees only the last alarm of each round (the one from Aabenraa). The hub
    // fans each change out to every client before reading on, so once the fence has that alarm, the
    // paused client has been sent the whole round.
    const fence = await openFeed(url, { token: opAab });
    await fence.synced();
    for (let round = 0; round < 120 && other.hub.connections > 1; round++) {
      const ids = await storeAlarms(
        te.rt,
        ...Array.from({ length: 250 }, (_, i) => newAlarm('toender', i % 10, 'mains_failure')),
        newAlarm('aabenraa', round % 10, 'mains_failure'),
      );
      await fence.waitFor((m) => m.type === 'alarm' && m.alarm.id === ids.at(-1), 5000, `the end of round ${round}`);
    }
    expect(other.hub.connections).toBe(1);
    expect(fence.ws.readyState).toBe(WebSocket.OPEN);
    f.ws.resume();
    expect((await f.closed).code).toBe(1013);
    await fence.close();
  }, 30_000);

  it('closes every feed with 1001 when the server shuts down, and stops accepting', async () => {
    const other = await ownConsole(options);
    const f = await openFeed(other.url, { token: fx.tokens['op-both'] });
    await f.synced();
    await other.close();
    expect((await f.closed).code).toBe(1001);
    await expect(openFeed(other.url, { token: fx.tokens['op-both'] })).rejects.toThrow();
    expect(other.hub.connections).toBe(0);
  });
});
