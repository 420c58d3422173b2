// Presence sets over real Redis: a member is there while refreshed, gone once it is removed or its time
// to live passes without a refresh (a process that died), judged by Redis's clock.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { PresencePublisher, PresenceSet } from '../../platform/presence.js';
import { deleteByPrefix, fastFailRedis, redisReady, type Redis } from '../../platform/redis.js';
import { REDIS_URL } from '../support/databases.js';
import { eventually } from '../support/env.js';

let redis: Redis;
const prefix = `rct-${randomBytes(5).toString('hex')}`;
const logger = createLogger('silent', 'test');
let n = 0;
const set = (ttlMs: number) => new PresenceSet(redis, `${prefix}:presence:${n++}`, ttlMs);

beforeAll(async () => {
  redis = fastFailRedis(REDIS_URL);
  await redisReady(redis);
});
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
});

it('holds the members published, and loses those removed', async () => {
  const s = set(60_000);
  await s.publish(['a', 'b']);
  await s.publish(['c']);
  expect((await s.read()).sort()).toEqual(['a', 'b', 'c']);
  await s.publish(['c'], ['a']);
  expect((await s.read()).sort()).toEqual(['b', 'c']);
});

it('loses a member not refreshed within its time to live, and keeps one refreshed', async () => {
  const s = set(300);
  await s.publish(['died', 'alive']);
  const refresh = setInterval(() => void s.publish(['alive']).catch(() => {}), 50);
  try {
    await eventually(async () => !(await s.read()).includes('died'), 5000, 'the silent member gone');
    expect(await s.read()).toEqual(['alive']);
  } finally {
    clearInterval(refresh);
  }
});

it('a publisher keeps its members refreshed, replaces them on update, and removes them when it closes', async () => {
  const s = set(300);
  const publisher = new PresencePublisher(s, 50, logger, 'test');
  try {
    publisher.update(['x', 'y']);
    await eventually(async () => (await s.read()).length === 2, 5000, 'both published');
    publisher.update(['y']);
    await eventually(async () => (await s.read()).join() === 'y', 5000, 'x removed');
    // Refreshed beyond its first lifetime, y is still there.
    const first = Number(await redis.zscore(s.key, 'y'));
    await eventually(
      async () => Number(await redis.zscore(s.key, 'y')) > first + 300,
      5000,
      'a refresh a lifetime later',
    );
    expect(await s.read()).toEqual(['y']);
  } finally {
    await publisher.close();
  }
  expect(await s.read()).toEqual([]);
});
