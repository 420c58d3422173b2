// Shared by the console tests: logging in as the test registry's users, making alarms, live-feed clients.
import { afterAll, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import type { NewAlarm } from '../../db/accept.js';
import { currentSeq } from '../../db/changes.js';
import type { LiveMessage } from '../../domain/views.js';
import { acceptAlarms } from '../../services/intake/accept-alarms.js';
import type { HttpApp } from '../../platform/http.js';
import type { Runtime } from '../../platform/runtime.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { createTestEnv, eventually, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

export type TestUser = 'op-both' | 'op-aab' | 'op-toe' | 'sup-all' | 'plan-aab' | 'ana-toe' | 'admin';

const passwords = new Map(testRegistry().users.map((u) => [u.username, u.password]));

export async function login(app: HttpApp, username: TestUser): Promise<string> {
  const r = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password: passwords.get(username) },
  });
  if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
  return r.json().token as string;
}

/** Tokens of every test user. */
export async function loginAll(app: HttpApp): Promise<Record<TestUser, string>> {
  const users = [...passwords.keys()] as TestUser[];
  const tokens = await Promise.all(users.map((u) => login(app, u)));
  return Object.fromEntries(users.map((u, i) => [u, tokens[i]])) as Record<TestUser, string>;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** An alarm from device i of municipality m, through that municipality's gateway. */
export const newAlarm = (m: 'aabenraa' | 'toender', i: number, type = 'pendant'): NewAlarm =>
  ({ gatewayId: `gw-${m}`, ...testEvent(m, m === 'aabenraa' ? i * 2 : i * 2 + 1, type) }) as NewAlarm;

/** Store alarms as ingest does (commit, then announce); returns their ids in order. */
export async function storeAlarms(rt: Runtime, ...alarms: NewAlarm[]): Promise<string[]> {
  const out = await acceptAlarms(rt, alarms);
  return out.results.map((r) => r.alarmId);
}

/**
 * The feed's head once every change written so far in this database is final. The horizon is the
 * cluster's oldest running transaction (migrations/0003), so another database's transaction can hold
 * currentSeq below this database's last write for a moment; a test that compares seqs waits it out.
 */
export async function settledSeq(rt: Runtime): Promise<number> {
  return eventually(
    async () => {
      const written = await rt.db
        .selectFrom('changes')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      const head = await currentSeq(rt.db);
      return head >= Number(written?.seq ?? 0) ? { head } : undefined;
    },
    10_000,
    'every change written so far to be final',
  ).then((r) => r.head);
}

export type FeedClient = {
  ws: WebSocket;
  messages: LiveMessage[];
  /** The close code and reason, once closed. */
  closed: Promise<{ code: number; reason: string }>;
  waitFor(pred: (m: LiveMessage, all: LiveMessage[]) => boolean, ms?: number, what?: string): Promise<LiveMessage>;
  synced(): Promise<LiveMessage>;
  close(): Promise<void>;
};

/** Open /v1/live on a listening console; resolves once the socket is open. */
export async function openFeed(
  baseUrl: string,
  auth: { token: string } | { cookie: string } | Record<string, never>,
  query: { since?: number | string } = {},
): Promise<FeedClient> {
  const url = new URL('/v1/live', baseUrl.replace(/^http/, 'ws'));
  if (query.since !== undefined) url.searchParams.set('since', String(query.since));
  const headers: Record<string, string> = {};
  if ('token' in auth) headers.authorization = `Bearer ${auth.token}`;
  if ('cookie' in auth) headers.cookie = `__Host-rc_session=${auth.cookie}`;
  const ws = new WebSocket(url, { headers });
  const messages: LiveMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as LiveMessage));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  const client: FeedClient = {
    ws,
    messages,
    closed,
    waitFor: (pred, ms = 5000, what = 'a message') =>
      eventually(() => messages.find((m) => pred(m, messages)), ms, what),
    synced: () => client.waitFor((m) => m.type === 'synced', 5000, 'synced'),
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
  return client;
}

/** The HTTP status with which an upgrade to /v1/live is refused. */
export async function refusedUpgrade(baseUrl: string, headers: Record<string, string>, query = ''): Promise<number> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/live${query}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {});
  });
}

/**
 * A console app on a private database (with the test registry unless `seed` is false), built before
 * the file's tests and closed after them. Read its parts inside tests (they exist only then).
 */
export function consoleAppFixture(opts: { seed?: boolean; citizens?: number } = {}) {
  let te: TestEnv | undefined;
  let app: HttpApp | undefined;
  beforeAll(async () => {
    te = await createTestEnv();
    if (opts.seed !== false) await seedRegistry(te, testRegistry(opts.citizens));
    const built = await buildConsoleApp(te.rt);
    app = built.app;
    te.onClose(built.close);
  });
  afterAll(() => te?.close());
  return {
    get te() {
      return te!;
    },
    get app() {
      return app!;
    },
  };
}

/** consoleAppFixture with every test user logged in. */
export function consoleFixture(opts: { citizens?: number } = {}) {
  const base = consoleAppFixture(opts);
  let tokens: Record<TestUser, string> | undefined;
  beforeAll(async () => {
    tokens = await loginAll(base.app);
  });
  const fx = {
    get te() {
      return base.te;
    },
    get app() {
      return base.app;
    },
    get tokens() {
      return tokens!;
    },
    get: (user: TestUser, url: string) => fx.app.inject({ method: 'GET', url, headers: bearer(fx.tokens[user]) }),
    post: (user: TestUser, url: string, payload: object = {}) =>
      fx.app.inject({ method: 'POST', url, headers: bearer(fx.tokens[user]), payload }),
  };
  return fx;
}
