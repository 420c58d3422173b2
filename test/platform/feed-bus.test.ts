// Change notifications over real Redis pub/sub: a burst of commits shares messages, and every caller
// is covered by a message published after it called.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FeedPublisher, feedChannel, subscribeFeed } from '../../platform/feed-bus.js';
import { fastFailRedis, redisReady, type Redis } from '../../platform/redis.js';
import { REDIS_URL } from '../support/databases.js';
import { eventually } from '../support/env.js';

const channel = feedChannel(`rct-${randomBytes(5).toString('hex')}`);
let publisherConn: Redis;
let subscriberConn: Redis;
const received: number[] = [];

beforeAll(async () => {
  publisherConn = fastFailRedis(REDIS_URL);
  subscriberConn = fastFailRedis(REDIS_URL);
  await Promise.all([redisReady(publisherConn), redisReady(subscriberConn)]);
  await subscribeFeed(subscriberConn, channel, () => received.push(performance.now()));
});
afterAll(() => {
  publisherConn.disconnect();
  subscriberConn.disconnect();
});

it('a burst of 200 calls sends at most two messages, the last after every call', async () => {
  const feed = new FeedPublisher(publisherConn, channel);
  received.length = 0;
  const calledAt: number[] = [];
  await Promise.all(
    Array.from({ length: 200 }, () => {
      calledAt.push(performance.now());
      return feed.published();
    }),
  );
  await eventually(() => received.length >= 1, 5_000, 'a message');
  // Let any straggler arrive before counting.
  await new Promise((r) => setTimeout(r, 200));
  expect(received.length).toBeGreaterThanOrEqual(1);
  expect(received.length).toBeLessThanOrEqual(2);
  expect(received.at(-1)!).toBeGreaterThan(Math.max(...calledAt));
});

it('calls spread over time each get a message sent after they called', async () => {
  const feed = new FeedPublisher(publisherConn, channel);
  received.length = 0;
  for (let i = 0; i < 5; i++) {
    const calledAt = performance.now();
    await feed.published();
    await eventually(() => received.some((t) => t > calledAt), 5_000, `message for call ${i}`);
  }
  expect(received.length).toBe(5);
});
