// Change notifications over real Redis pub/sub: a burst of commits shares messages, and every caller
// is covered by a message published after it called.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FeedPublisher, feedChannel, subscribeFeed } from '../../platform/feed-bus.js';
import { fastFailRedis, redisReady, type Redis } from '../../platform/redis.js';
import { REDIS_URL } from '../support/databases.js';

let publisherConn: Redis;
let subscriberConn: Redis;

beforeAll(async () => {
  publisherConn = fastFailRedis(REDIS_URL);
  subscriberConn = fastFailRedis(REDIS_URL);
  await Promise.all([redisReady(publisherConn), redisReady(subscriberConn)]);
});
afterAll(() => {
  publisherConn.disconnect();
  subscriberConn.disconnect();
});

/**
 * A channel of the test's own, with the times its messages arrived, and a fence: a marker published
 * on a second channel from the same connection. Redis delivers one connection's messages to a
 * subscriber in the order it published them, so once the marker is in, every message published
 * before it is in too, and none can still be on its way.
 */
async function listen() {
  const channel = feedChannel(`rct-${randomBytes(5).toString('hex')}`);
  const fenceChannel = `${channel}:fence`;
  const received: number[] = [];
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters])
      if (w.pred()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  const fences: string[] = [];
  await subscribeFeed(subscriberConn, channel, () => received.push(performance.now()));
  // Registered after the feed's listener, so it looks at `received` with the new message in it.
  subscriberConn.on('message', (ch: string, message: string) => {
    if (ch === fenceChannel) fences.push(message);
    check();
  });
  await subscriberConn.subscribe(fenceChannel);
  const until = (pred: () => boolean) =>
    pred() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve }));
  return {
    channel,
    received,
    until,
    async fence() {
      const marker = randomBytes(4).toString('hex');
      await publisherConn.publish(fenceChannel, marker);
      await until(() => fences.includes(marker));
    },
  };
}

it('a burst of 200 calls sends at most two messages, the last after every call', async () => {
  const { channel, received, fence } = await listen();
  const feed = new FeedPublisher(publisherConn, channel);
  const calledAt: number[] = [];
  await Promise.all(
    Array.from({ length: 200 }, () => {
      calledAt.push(performance.now());
      return feed.published();
    }),
  );
  await fence();
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(received.length).toBeLessThanOrEqual(2);
  expect(received.at(-1)!).toBeGreaterThan(Math.max(...calledAt));
});

it('calls spread over time each get a message sent after they called', async () => {
  const { channel, received, until, fence } = await listen();
  const feed = new FeedPublisher(publisherConn, channel);
  for (let i = 0; i < 5; i++) {
    const calledAt = performance.now();
    await feed.published();
    await until(() => received.some((t) => t > calledAt));
  }
  await fence();
  expect(received.length).toBe(5);
});
