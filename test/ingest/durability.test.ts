// A 2xx means committed in Postgres; Redis is the fast path, not the record.
import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../bin/start.js';
import { buildIngestApp } from '../../services/ingest/app.js';
import { createTestEnv, eventually, gatewayKey, seedRegistry, testEvent, type TestEnv } from '../support/env.js';
import { countStored } from './helpers.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let te: TestEnv;
let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
const auth = (m: string) => ({ authorization: `Bearer ${gatewayKey(m)}` });

beforeAll(async () => {
  te = await createTestEnv();
  await seedRegistry(te);
  const pgUrl = new URL(te.config.databaseUrl);
  const redisUrl = new URL(te.config.redisUrl);
  pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  te.onClose(() => pgProxy.close());
  te.onClose(() => redisProxy.close());
});
afterAll(() => te.close());

/** Sessions of this database waiting for a table lock (held on alarms by the test). */
const tableLockWaiters = async () =>
  (
    await te.rt.pool.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'relation'",
    )
  ).rowCount;

/** Whether a TCP connection to the port is refused. */
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('durable accept', () => {
  it('answers 503 with Retry-After, never a 2xx, while Postgres is unreachable, and accepts the retries after', async () => {
    const rt = te.runtime({ DATABASE_URL: pgProxy.url(te.config.databaseUrl) });
    const { app } = await buildIngestApp(rt);
    te.onClose(() => app.close());
    // Authenticate both gateways once so the outage hits the commit, then one gateway that is not cached.
    for (const m of ['aabenraa', 'toender']) {
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/alarms',
            headers: auth(m),
            payload: testEvent(m, m === 'aabenraa' ? 0 : 1),
          })
        ).statusCode,
      ).toBe(202);
    }
    pgProxy.cut();
    const events = Array.from({ length: 12 }, (_, i) => ({
      m: ['aabenraa', 'toender', 'both'][i % 3]!,
      ev: testEvent(i % 2 ? 'toender' : 'aabenraa', i, 'fall'),
    }));
    const during = await Promise.all(
      events.map(({ m, ev }) => app.inject({ method: 'POST', url: '/v1/alarms', headers: auth(m), payload: ev })),
    );
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/alarms/batch',
      headers: auth('aabenraa'),
      payload: { events: [testEvent('aabenraa', 2)] },
    });
    pgProxy.restore();
    for (const r of [...during, batch]) {
      expect(r.statusCode).toBe(503);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(r.json()).toMatchObject({ error: 'unavailable', message: expect.any(String) });
    }
    expect(
      await countStored(
        te,
        events.map((e) => e.ev.eventId),
      ),
    ).toBe(0);

    const after = await Promise.all(
      events.map(({ m, ev }) => app.inject({ method: 'POST', url: '/v1/alarms', headers: auth(m), payload: ev })),
    );
    expect(after.map((r) => r.statusCode)).toEqual(events.map(() => 202));
    expect(
      await countStored(
        te,
        events.map((e) => e.ev.eventId),
      ),
    ).toBe(events.length);
  });

  it('still answers 202 while Redis is unreachable: the alarm is stored, untriaged, for the reconciler', async () => {
    const rt = te.runtime({ REDIS_URL: redisProxy.url(te.config.redisUrl) });
    const { app, acceptor } = await buildIngestApp(rt);
    te.onClose(() => app.close());
    redisProxy.cut();
    const ev = testEvent('aabenraa', 4, 'smoke');
    const r = await app.inject({ method: 'POST', url: '/v1/alarms', headers: auth('aabenraa'), payload: ev });
    await acceptor.drain();
    // Asked while Redis is still cut off: once restored, it reconnects whenever its retry timer fires.
    const ready = await app.inject('/readyz');
    redisProxy.restore();
    expect(r.statusCode).toBe(202);
    const row = await te.rt.db
      .selectFrom('alarms')
      .selectAll()
      .where('id', '=', r.json().alarmId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'received', triaged_at: null, type: 'smoke' });
    expect(ready.statusCode).toBe(503);
  });

  it('finishes in-flight requests on shutdown and answers new ones 503', async () => {
    const rt = te.runtime({ INGEST_PORT: '0' });
    const service = await listen('ingest', await buildIngestApp(rt), rt.config, rt.logger);
    const port = Number(new URL(service.url).port);
    // Hold a lock that keeps alarms from being inserted, so an accepted alarm is mid-commit when shutdown begins.
    const holder = await te.rt.db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE alarms IN SHARE MODE`.execute(trx);
      const inFlight = fetch(`${service.url}/v1/alarms`, {
        method: 'POST',
        headers: { ...auth('toender'), 'content-type': 'application/json' },
        body: JSON.stringify(testEvent('toender', 9, 'pendant')),
      });
      // The accepted alarm is mid-commit: its INSERT waits for the lock held here.
      await eventually(tableLockWaiters, 10_000, 'the alarm’s commit waiting for the table lock');
      const closing = service.close();
      // Shutdown has begun once the port refuses connections (nothing else announces it).
      await eventually(() => refused(port), 10_000, 'the ingest port closed');
      const late = await fetch(`${service.url}/v1/alarms`, {
        method: 'POST',
        headers: { ...auth('toender'), 'content-type': 'application/json' },
        body: JSON.stringify(testEvent('toender', 11, 'pendant')),
      }).catch((err: Error) => err);
      // The lock goes with this transaction: only then can the in-flight alarm commit.
      return { inFlight, late, closing };
    });
    await holder.closing;
    expect((await holder.inFlight).status).toBe(202);
    // A new request is refused: 503 while closing, or the connection is refused once the port is closed.
    if (holder.late instanceof Error) expect(holder.late.message).toMatch(/fetch failed/);
    else expect(holder.late.status).toBe(503);
  });
});
