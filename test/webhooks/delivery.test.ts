// Webhooks against a local receiver: every dispatch change is delivered, signed as README says, retried
// until acknowledged under one delivery id, and never lost or made a new event by a crash, a lost
// Redis job or relays running at once.
import { describe, expect, it } from 'vitest';
import type { NewAlarm } from '../../db/accept.js';
import { currentSeq, readChangesSince } from '../../db/changes.js';
import { relayWaitingDeliveries } from '../../db/webhook-outbox.js';
import { bullPrefix } from '../../platform/queue.js';
import { blockingRedis, deleteByPrefix } from '../../platform/redis.js';
import { WEBHOOK_QUEUE, WebhookQueue } from '../../platform/webhook-queue.js';
import { relayDeliveries } from '../../services/webhooks/relay.js';
import { storeAlarms } from '../console/helpers.js';
import { eventually, testEvent } from '../support/env.js';
import { FAST, newSecret, startReceiver, verifyWebhook, webhookFixture } from './helpers.js';

const fx = webhookFixture({ WEBHOOK_ALERT_AFTER_SECONDS: '60' });

const webhookOf = async (m: string) => {
  const r = await fx.request('sup-all', 'GET', `/v1/webhooks?municipality=${m}`);
  expect(r.statusCode).toBe(200);
  return r.json().webhooks[0];
};
const dispatchWebhook = async (id: string) => (await fx.request('admin', 'GET', `/v1/dispatches/${id}`)).json().webhook;

describe('webhook deliveries', () => {
  it('POSTs every dispatch change, signed so that the documented check accepts it with the shared secret only', async () => {
    const receiver = await startReceiver();
    const secret = newSecret();
    await fx.register('w1', receiver.url, secret);
    const worker = fx.startWorker();
    try {
      const dispatch = await fx.dispatchIn('w1');
      await receiver.waitFor((all) => all.length === 1, 'the request’s delivery');
      const accepted = await fx.setStatus(dispatch.id, 'accepted', 'Hjemmepleje Nord');
      await receiver.waitFor((all) => all.length === 2, 'the acceptance’s delivery');

      // The receiver has answered; the worker records the answer right after.
      const outbox = await eventually(
        async () => {
          const rows = await fx.deliveriesOf(dispatch.id);
          return rows.every((d) => d.delivered_at !== null) ? rows : undefined;
        },
        5_000,
        'both deliveries recorded as delivered',
      );
      expect(outbox.map((d) => d.version)).toEqual([1, 2]);
      const [first, second] = receiver.received as [(typeof receiver.received)[0], (typeof receiver.received)[0]];
      expect(first.event).toEqual({
        deliveryId: outbox[0]!.id,
        type: 'dispatch.changed',
        municipality: 'w1',
        version: 1,
        dispatch,
      });
      expect(second.event).toEqual({
        deliveryId: outbox[1]!.id,
        type: 'dispatch.changed',
        municipality: 'w1',
        version: 2,
        dispatch: accepted,
      });
      for (const r of receiver.received) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['x-responscenter-delivery']).toBe(r.event.deliveryId);
        expect(r.headers['x-responscenter-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
        expect(verifyWebhook(secret, r.headers, r.body)).toBe(true);
        // Another key, another body, or the same request replayed ten minutes later: refused.
        expect(verifyWebhook(newSecret(), r.headers, r.body)).toBe(false);
        expect(verifyWebhook(secret, r.headers, Buffer.from(r.body.toString().replace('w1', 'w2')))).toBe(false);
        expect(verifyWebhook(secret, r.headers, r.body, Date.now() + 10 * 60_000)).toBe(false);
      }
      expect(outbox.every((d) => d.attempts === 1 && d.last_status === 200)).toBe(true);
      expect(await webhookOf('w1')).toEqual({
        municipality: 'w1',
        status: 'delivered',
        host: new URL(receiver.url).host,
        lastDeliveredAt: expect.any(String),
        failingSince: null,
        pending: 0,
        lastError: null,
        alert: false,
      });
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('retries a refused delivery under the same delivery id and body until it is acknowledged', async () => {
    const receiver = await startReceiver((_r, n) => (n < 3 ? 500 : 200));
    const secret = newSecret();
    await fx.register('w2', receiver.url, secret);
    const worker = fx.startWorker();
    try {
      const dispatch = await fx.dispatchIn('w2');
      await receiver.waitFor((all) => all.length === 3, 'three attempts');
      const [a, b, c] = receiver.received as [
        (typeof receiver.received)[0],
        (typeof receiver.received)[0],
        (typeof receiver.received)[0],
      ];
      expect(new Set([a, b, c].map((r) => r.headers['x-responscenter-delivery'])).size).toBe(1);
      expect(b.body.equals(a.body) && c.body.equals(a.body)).toBe(true);
      expect([a, b, c].every((r) => verifyWebhook(secret, r.headers, r.body))).toBe(true);
      const row = await eventually(
        async () => (await fx.deliveriesOf(dispatch.id)).find((d) => d.delivered_at !== null),
        5_000,
        'the delivery recorded as delivered',
      );
      expect(row).toMatchObject({ id: a.event.deliveryId, attempts: 3, last_status: 200, last_error: null });
      expect(await dispatchWebhook(dispatch.id)).toEqual({
        status: 'delivered',
        version: 1,
        attempts: 3,
        lastError: null,
        deliveredAt: expect.any(String),
      });
      expect(await webhookOf('w2')).toMatchObject({ status: 'delivered', pending: 0, failingSince: null });
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('shows a receiver that keeps refusing as failing, alerts after WEBHOOK_ALERT_AFTER_SECONDS, offers the delivery again after its round, and logs no body, path or secret', async () => {
    let down = true;
    const receiver = await startReceiver(() => (down ? 503 : 204));
    const secret = newSecret();
    await fx.register('aabenraa', receiver.url, secret);
    const worker = fx.startWorker({ ...FAST, retry: { attempts: 2, backoffMs: 20 }, reofferAfterMs: 100 });
    try {
      const dispatch = await fx.dispatchIn('aabenraa');
      // Two rounds of two attempts: the second round came from the relay offering it again.
      await receiver.waitFor((all) => all.length >= 4, 'a second round of attempts');
      expect(new Set(receiver.received.map((r) => r.event.deliveryId)).size).toBe(1);

      const failing = await webhookOf('aabenraa');
      expect(failing).toMatchObject({ status: 'failing', pending: 1, lastError: 'HTTP 503', alert: false });
      expect(Date.parse(failing.failingSince)).toBeLessThanOrEqual(Date.now());
      expect(await dispatchWebhook(dispatch.id)).toMatchObject({
        status: 'failing',
        version: 1,
        lastError: 'HTTP 503',
      });

      // Failing for longer than the file's WEBHOOK_ALERT_AFTER_SECONDS (60): the operators are alerted.
      await fx.te.rt.db
        .updateTable('webhook_deliveries')
        .set({ first_failed_at: new Date(Date.now() - 120_000) })
        .where('dispatch_id', '=', dispatch.id)
        .execute();
      expect(await webhookOf('aabenraa')).toMatchObject({ status: 'failing', alert: true });
      const op = await fx.request('op-aab', 'GET', '/v1/webhooks');
      expect(op.json().webhooks).toEqual([expect.objectContaining({ municipality: 'aabenraa', alert: true })]);
      await worker.upkeep();
      expect(await worker.metrics.alerting.get()).toMatchObject({ values: [expect.objectContaining({ value: 1 })] });

      down = false;
      await eventually(async () => (await webhookOf('aabenraa')).status === 'delivered', 5_000, 'delivered');
      expect(await webhookOf('aabenraa')).toMatchObject({ alert: false, failingSince: null, lastError: null });

      const logs = fx.te.logs.join('');
      expect(logs).toContain('webhook delivery failed');
      expect(logs).toContain(new URL(receiver.url).host);
      for (const secretOrPersonal of [secret, 'token=abc', '/hooks/dispatches', dispatch.citizenId!, 'Borger'])
        expect(logs).not.toContain(secretOrPersonal);
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('delivers changes committed while no worker ran, once one starts (a crash between commit and queueing loses nothing)', async () => {
    const receiver = await startReceiver();
    await fx.register('w3', receiver.url, newSecret());
    const dispatch = await fx.dispatchIn('w3');
    await fx.setStatus(dispatch.id, 'en_route');
    const waiting = await fx.deliveriesOf(dispatch.id);
    expect(waiting.map((d) => [d.version, d.relayed_at, d.delivered_at])).toEqual([
      [1, null, null],
      [2, null, null],
    ]);
    expect(await dispatchWebhook(dispatch.id)).toEqual({
      status: 'pending',
      version: 2,
      attempts: 0,
      lastError: null,
      deliveredAt: null,
    });
    expect(await webhookOf('w3')).toMatchObject({ status: 'pending', pending: 2 });
    expect(receiver.received).toHaveLength(0);

    const worker = fx.startWorker();
    try {
      await receiver.waitFor((all) => all.length === 2, 'both deliveries');
      expect(receiver.received.map((r) => r.event.deliveryId).sort()).toEqual(waiting.map((d) => d.id).sort());
      expect(receiver.received.map((r) => r.event.version).sort()).toEqual([1, 2]);
      await eventually(async () => (await dispatchWebhook(dispatch.id)).status === 'delivered', 5_000, 'delivered');
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('delivers a delivery whose job Redis lost, under the same delivery id', async () => {
    const receiver = await startReceiver();
    await fx.register('w4', receiver.url, newSecret());
    const dispatch = await fx.dispatchIn('w4');
    // The relay of a process that then died: the job is in Redis, no worker took it.
    const rt = fx.te.runtime();
    const queue = new WebhookQueue(rt.redis, rt.config.redisPrefix, FAST.retry);
    await eventually(
      async () => (await relayDeliveries(rt, queue, { batch: 100, againAfterMs: 60_000 })) > 0,
      5_000,
      'the relay handing the delivery',
    );
    await queue.close();
    const [row] = await fx.deliveriesOf(dispatch.id);
    expect(row!.relayed_at).not.toBeNull();
    // Redis loses it.
    const redis = blockingRedis(fx.te.config.redisUrl);
    expect(await deleteByPrefix(redis, `${bullPrefix(fx.te.config.redisPrefix)}:${WEBHOOK_QUEUE}`)).toBeGreaterThan(0);
    redis.disconnect();

    const worker = fx.startWorker({ ...FAST, reofferAfterMs: 100 });
    try {
      await receiver.waitFor((all) => all.length === 1, 'the delivery');
      expect(receiver.received[0]!.event.deliveryId).toBe(row!.id);
      await eventually(async () => (await dispatchWebhook(dispatch.id)).status === 'delivered', 5_000, 'delivered');
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it('holds no transaction open while it hands deliveries to Redis (the live feed is never held back), and takes the claim back when Redis fails', async () => {
    await fx.register('w8', 'https://pleje.example.dk/rc', newSecret());
    const dispatch = await fx.dispatchIn('w8');
    const since = await currentSeq(fx.te.rt.db);
    let handed!: () => void;
    let handing!: () => void;
    const inRedis = new Promise<void>((resolve) => (handing = resolve));
    const relay = relayWaitingDeliveries(fx.te.rt.db, { limit: 1000, againAfterMs: 60_000 }, async (ids) => {
      expect(ids).toContain((await fx.deliveriesOf(dispatch.id))[0]!.id);
      handing();
      // Redis taking its time.
      await new Promise<void>((resolve) => (handed = resolve));
    });
    await inRedis;
    // Meanwhile an alarm is accepted: its change is served at once, not held back behind the relay.
    const [alarmId] = await storeAlarms(fx.te.rt, {
      gatewayId: 'gw-w8',
      ...testEvent('w8', 0),
      deviceId: 'unit-w8',
    } as NewAlarm);
    const feed = await readChangesSince(fx.te.rt.db, since);
    expect(feed.heldBack).toBe(false);
    expect(feed.rows.map((r) => r.payload.id)).toContain(alarmId);
    handed();
    expect(await relay).toBeGreaterThan(0);

    // Redis refusing: the claim is taken back, and the next run hands the delivery again at once.
    await fx.te.rt.db
      .updateTable('webhook_deliveries')
      .set({ relayed_at: null })
      .where('dispatch_id', '=', dispatch.id)
      .execute();
    const refused = relayWaitingDeliveries(fx.te.rt.db, { limit: 1000, againAfterMs: 60_000 }, async () => {
      throw new Error('redis away');
    });
    await expect(refused).rejects.toThrow('redis away');
    expect((await fx.deliveriesOf(dispatch.id))[0]!.relayed_at).toBeNull();
  });

  it('never makes a change a new event: two relays offering everything again and again give each change one delivery id', async () => {
    const receiver = await startReceiver();
    await fx.register('w5', receiver.url, newSecret());
    const dispatches = [];
    for (let i = 0; i < 5; i++) {
      const d = await fx.dispatchIn('w5');
      await fx.setStatus(d.id, 'accepted');
      await fx.setStatus(d.id, 'arrived');
      dispatches.push(d);
    }
    const outbox = (await Promise.all(dispatches.map((d) => fx.deliveriesOf(d.id)))).flat();
    expect(outbox).toHaveLength(15);

    // Offered again as soon as a relay looks (reofferAfterMs 0), by two workers, and by hand on top.
    const opts = { ...FAST, reofferAfterMs: 0, relayEveryMs: 10 };
    const workers = [fx.startWorker(opts), fx.startWorker(opts)];
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => workers[i % 2]!.relay()));
      await eventually(
        async () =>
          (
            await fx.te.rt.db
              .selectFrom('webhook_deliveries')
              .select('id')
              .where('municipality_id', '=', 'w5')
              .where('delivered_at', 'is', null)
              .execute()
          ).length === 0,
        10_000,
        'every delivery acknowledged',
      );
      await Promise.all(Array.from({ length: 10 }, (_, i) => workers[i % 2]!.relay()));

      // What a receiver that de-duplicates by delivery id keeps: one delivery per change, no other ids.
      const idsByChange = new Map<string, Set<string>>();
      for (const r of receiver.received) {
        const key = `${r.event.dispatch.id}/${r.event.version}`;
        idsByChange.set(key, (idsByChange.get(key) ?? new Set()).add(r.event.deliveryId));
      }
      expect(idsByChange.size).toBe(15);
      expect([...idsByChange.values()].every((ids) => ids.size === 1)).toBe(true);
      expect(new Set(receiver.received.map((r) => r.event.deliveryId))).toEqual(new Set(outbox.map((d) => d.id)));
      // Nothing crashed, so nothing was even sent twice.
      expect(receiver.received).toHaveLength(15);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await receiver.close();
    }
  });

  it('sends waiting deliveries to the new address with the new secret when the webhook is replaced', async () => {
    const old = await startReceiver(() => 503);
    const replacement = await startReceiver();
    await fx.register('w6', old.url, newSecret());
    const worker = fx.startWorker({ ...FAST, retry: { attempts: 1, backoffMs: 20 }, reofferAfterMs: 100 });
    try {
      const dispatch = await fx.dispatchIn('w6');
      await old.waitFor((all) => all.length >= 1, 'a refused attempt');
      const secret = newSecret();
      await fx.register('w6', replacement.url, secret);
      await replacement.waitFor((all) => all.length === 1, 'the delivery at the new address');
      const r = replacement.received[0]!;
      expect(r.event.deliveryId).toBe(old.received[0]!.event.deliveryId);
      expect(r.event.dispatch.id).toBe(dispatch.id);
      expect(verifyWebhook(secret, r.headers, r.body)).toBe(true);
    } finally {
      await worker.close();
      await old.close();
      await replacement.close();
    }
  });

  it('counts no answer in time and a refused connection as failed attempts, and says which', async () => {
    const silent = await startReceiver(() => null);
    await fx.register('w10', silent.url, newSecret());
    const worker = fx.startWorker({
      ...FAST,
      timeoutMs: 200,
      retry: { attempts: 1, backoffMs: 20 },
      reofferAfterMs: 100,
    });
    try {
      await fx.dispatchIn('w10');
      await eventually(async () => (await webhookOf('w10')).lastError === 'no answer within 0.2 s', 5_000, 'a timeout');
      const gone = new URL(silent.url);
      await silent.close();
      await fx.register('w10', gone.href, newSecret());
      await eventually(async () => (await webhookOf('w10')).lastError === 'connection refused', 5_000, 'a refusal');
      expect(await webhookOf('w10')).toMatchObject({ status: 'failing', pending: 1 });
    } finally {
      await worker.close();
      await silent.close();
    }
  });

  it('a dispatch changing while its webhook is being removed waits for the removal and then writes no delivery (never a failed change)', async () => {
    await fx.register('w9', 'https://pleje.example.dk/rc', newSecret());
    const dispatch = await fx.dispatchIn('w9');
    const remover = await fx.te.rt.pool.connect();
    let change: Promise<unknown> | undefined;
    try {
      await remover.query('BEGIN');
      await remover.query("DELETE FROM webhooks WHERE municipality_id = 'w9'");
      change = fx.setStatus(dispatch.id, 'accepted');
      await eventually(
        async () =>
          (
            await fx.te.rt.pool.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rowCount,
        5_000,
        'the change waiting for the removal',
      );
      await remover.query('COMMIT');
    } finally {
      await remover.query('ROLLBACK').catch(() => {}); // after a failed wait; a no-op after COMMIT
      remover.release();
    }
    expect(await change).toMatchObject({ status: 'accepted' });
    expect(await fx.deliveriesOf(dispatch.id)).toEqual([]);
  });

  it('writes no delivery for a municipality without a webhook, and removing a webhook drops what waits for it', async () => {
    const plain = await fx.dispatchIn('toender');
    await fx.setStatus(plain.id, 'completed');
    expect(await fx.deliveriesOf(plain.id)).toEqual([]);
    expect(await dispatchWebhook(plain.id)).toBeNull();
    expect(await webhookOf('toender')).toEqual({
      municipality: 'toender',
      status: 'none',
      host: null,
      lastDeliveredAt: null,
      failingSince: null,
      pending: 0,
      lastError: null,
      alert: false,
    });

    const receiver = await startReceiver(() => 500);
    await fx.register('w7', receiver.url, newSecret());
    const dispatch = await fx.dispatchIn('w7');
    expect(await fx.deliveriesOf(dispatch.id)).toHaveLength(1);
    const removed = await fx.request('admin', 'DELETE', '/v1/admin/webhooks/w7');
    expect(removed.statusCode).toBe(204);
    expect(await fx.deliveriesOf(dispatch.id)).toEqual([]);
    await fx.setStatus(dispatch.id, 'cancelled');
    expect(await fx.deliveriesOf(dispatch.id)).toEqual([]);
    expect(await webhookOf('w7')).toMatchObject({ status: 'none', pending: 0 });
    expect((await fx.request('admin', 'DELETE', '/v1/admin/webhooks/w7')).statusCode).toBe(404);
    await receiver.close();
  });
});
