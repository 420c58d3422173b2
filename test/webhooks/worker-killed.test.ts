// A worker process killed while a delivery is on the wire loses nothing: the receiver got the request
// but the acknowledgement was never recorded, so once the dead worker's lock expires another worker
// sends it again, under the same delivery id, and records it.
//
// Its own file: waiting for the dead worker's lock takes 10–15 s.
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/env.js';
import { groupAlive, killGroup, startWorkerProcess } from '../support/processes.js';
import { newSecret, startReceiver, verifyWebhook, webhookFixture } from './helpers.js';

const fx = webhookFixture();
const children: ChildProcess[] = [];
afterAll(() => children.forEach(killGroup));

describe('a worker killed mid-delivery', () => {
  it('loses nothing: the delivery is sent again under the same id and recorded once acknowledged', async () => {
    // The first request is held open (the worker is mid-attempt when it dies); later ones are acknowledged.
    const receiver = await startReceiver((_r, n) => (n === 1 ? null : 200));
    const secret = newSecret();
    await fx.register('w1', receiver.url, secret);
    const dispatch = await fx.dispatchIn('w1');

    const first = startWorkerProcess(fx.te.config);
    children.push(first);
    try {
      await receiver.waitFor((all) => all.length === 1, 'the first attempt on the wire', 30_000);
      killGroup(first);
      await eventually(() => !groupAlive(first), 5_000, 'the first worker gone');
    } finally {
      killGroup(first);
    }
    const [row] = await fx.deliveriesOf(dispatch.id);
    expect(row).toMatchObject({ delivered_at: null, attempts: 0 });

    const second = fx.startWorker({ relayEveryMs: 50, retry: { attempts: 3, backoffMs: 20 }, upkeepEveryMs: 60_000 });
    try {
      await receiver.waitFor((all) => all.length === 2, 'the delivery sent again', 40_000);
      const [a, b] = receiver.received as [(typeof receiver.received)[0], (typeof receiver.received)[0]];
      expect(b.event.deliveryId).toBe(a.event.deliveryId);
      expect(b.event.deliveryId).toBe(row!.id);
      expect(b.body.equals(a.body)).toBe(true);
      expect(verifyWebhook(secret, b.headers, b.body)).toBe(true);
      await eventually(
        async () => (await fx.deliveriesOf(dispatch.id))[0]!.delivered_at,
        5_000,
        'the delivery recorded as delivered',
      );
    } finally {
      await second.close();
      await receiver.close();
    }
  }, 90_000);
});
