// Shared by the webhook tests: a local receiver (node:http on a free port), the receiver's signature
// check exactly as README's "Webhooks" section shows it, and a console with workers on a private
// database whose registry has a municipality per test.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import type { DispatchView } from '../../domain/views.js';
import type { HttpApp } from '../../platform/http.js';
import { createRegistry } from '../../platform/metrics.js';
import { buildConsoleApp } from '../../services/console/app.js';
import { createWebhookWorker, type WebhookOptions, type WebhookWorker } from '../../services/webhooks/worker.js';
import { bearer, loginAll, storeAlarms, type TestUser } from '../console/helpers.js';
import { createTestEnv, eventually, seedRegistry, testEvent, testRegistry, type TestEnv } from '../support/env.js';

// ---- The receiver ----

export type Received = { headers: IncomingHttpHeaders; body: Buffer; event: WebhookBody; at: number };
export type WebhookBody = {
  deliveryId: string;
  type: string;
  municipality: string;
  version: number;
  dispatch: DispatchView;
};

export type Receiver = {
  url: string;
  /** Every request, in arrival order. */
  received: Received[];
  /** Requests for one dispatch. */
  of(dispatchId: string): Received[];
  waitFor(pred: (all: Received[]) => boolean, what: string, ms?: number): Promise<void>;
  close(): Promise<void>;
};

/**
 * A receiver answering each request with `answer(request, n)`, n counting the requests of that
 * delivery id from 1: a status (200 by default), or null to hold the request open without an answer.
 */
export async function startReceiver(answer: (r: Received, n: number) => number | null = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const r: Received = { headers: req.headers, body, event: JSON.parse(body.toString('utf8')), at: Date.now() };
      received.push(r);
      const n = received.filter((x) => x.event.deliveryId === r.event.deliveryId).length;
      const status = answer(r, n);
      if (status !== null)
        res.writeHead(status, { 'content-type': 'text/plain' }).end('answer body the sender never reads');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/dispatches?token=abc`,
    received,
    of: (dispatchId) => received.filter((r) => r.event.dispatch.id === dispatchId),
    waitFor: (pred, what, ms = 10_000) => eventually(() => pred(received), ms, what).then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * README, "Webhooks": how a receiver verifies a delivery. Kept here word for word (but for the types),
 * so the documented recipe is what the tests run.
 */
export function verifyWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowMs: number = Date.now(),
): boolean {
  const timestamp = String(headers['x-responscenter-timestamp'] ?? '');
  const signature = String(headers['x-responscenter-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > 300) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

export const newSecret = () => randomBytes(32).toString('hex');

// ---- A console, workers and municipalities to spare ----

/** Municipalities of their own, so each test's webhook and deliveries are its own. */
export const SPARE = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10'] as const;
export type Spare = (typeof SPARE)[number];

function webhookRegistry() {
  const reg = testRegistry();
  return {
    ...reg,
    municipalities: [...reg.municipalities, ...SPARE.map((m) => ({ id: m, name: `Kommune ${m}`, code: m }))],
    gateways: [
      ...reg.gateways,
      ...SPARE.map((m) => ({
        id: `gw-${m}`,
        name: `Gateway ${m}`,
        apiKey: `key-${m}-0123456789abcdef`,
        municipalities: [m],
        heartbeatSeconds: 300,
      })),
    ],
  };
}

/** Short backoffs and a quick relay: the tests wait for events, never for a fixed time. */
export const FAST: WebhookOptions = {
  relayEveryMs: 50,
  reofferAfterMs: 60_000,
  retry: { attempts: 3, backoffMs: 20 },
  timeoutMs: 2_000,
  upkeepEveryMs: 60_000,
};

export function webhookFixture(env: Record<string, string> = {}) {
  let te: TestEnv | undefined;
  let app: HttpApp | undefined;
  let tokens: Record<TestUser, string> | undefined;
  const workers: WebhookWorker[] = [];
  beforeAll(async () => {
    te = await createTestEnv(env);
    await seedRegistry(te, webhookRegistry());
    const built = await buildConsoleApp(te.rt);
    app = built.app;
    te.onClose(built.close);
    tokens = await loginAll(app);
  });
  afterAll(() => te?.close());

  const fx = {
    get te() {
      return te!;
    },
    get app() {
      return app!;
    },
    request: (user: TestUser, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
      fx.app.inject({ method, url, headers: bearer(tokens![user]), ...(payload ? { payload } : {}) }),
    /** Register (or replace) a municipality's webhook as the admin; fails the test unless 200. */
    async register(m: string, url: string, secret: string) {
      const r = await fx.request('admin', 'PUT', `/v1/admin/webhooks/${m}`, { url, secret });
      if (r.statusCode !== 200) throw new Error(`PUT webhook ${m}: ${r.statusCode} ${r.body}`);
      return r.json();
    },
    /** A dispatch requested in municipality m (an alarm resolved with outcome dispatch by the admin). */
    async dispatchIn(m: Spare | 'aabenraa' | 'toender'): Promise<DispatchView> {
      const event = testEvent(m, 0, 'pendant');
      const gatewayId = `gw-${m}`;
      const alarm = (
        m === 'aabenraa' || m === 'toender' ? { gatewayId, ...event } : { gatewayId, ...event, deviceId: `unit-${m}` }
      ) as NewAlarm;
      const [alarmId] = await storeAlarms(fx.te.rt, alarm);
      const r = await fx.request('admin', 'POST', `/v1/alarms/${alarmId}/resolve`, { outcome: 'dispatch' });
      if (r.statusCode !== 200) throw new Error(`resolve: ${r.statusCode} ${r.body}`);
      return r.json().dispatch;
    },
    /** Move a dispatch on as the admin; fails the test unless 200. */
    async setStatus(id: string, status: string, team?: string): Promise<DispatchView> {
      const r = await fx.request('admin', 'POST', `/v1/dispatches/${id}/status`, { status, ...(team ? { team } : {}) });
      if (r.statusCode !== 200) throw new Error(`status: ${r.statusCode} ${r.body}`);
      return r.json();
    },
    /** The outbox rows of a dispatch, by version. */
    deliveriesOf: (dispatchId: string) =>
      fx.te.rt.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('dispatch_id', '=', dispatchId)
        .orderBy('version')
        .execute(),
    /** A webhook worker as another process would run it (its own runtime), closed with the file. */
    startWorker(opts: WebhookOptions = FAST): WebhookWorker {
      const w = createWebhookWorker(fx.te.runtime(), createRegistry('worker'), opts);
      workers.push(w);
      fx.te.onClose(() => w.close());
      return w;
    },
  };
  return fx;
}
