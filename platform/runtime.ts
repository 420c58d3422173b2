// The per-process connections every service shares: Postgres (the record), Redis (the fast path).
import type pg from 'pg';
import type { Config } from './config.js';
import { createDb, createPool, databaseAnswers, type Db } from '../db/connect.js';
import { FeedPublisher, feedChannel } from './feed-bus.js';
import { errorFields, type Logger } from './logger.js';
import { TriageQueues } from './queue.js';
import { fastFailRedis, type Redis } from './redis.js';

export type Runtime = {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  db: Db;
  /** Fails fast while Redis is away: for producers on a request path. */
  redis: Redis;
  queues: TriageQueues;
  feed: FeedPublisher;
  close(): Promise<void>;
};

export function createRuntime(config: Config, logger: Logger, opts: { poolSize?: number } = {}): Runtime {
  const pool = createPool(config.databaseUrl, { max: opts.poolSize ?? 10 });
  const db = createDb(pool);
  const redis = fastFailRedis(config.redisUrl);
  redis.on('error', (err) => logger.debug(errorFields(err), 'redis connection error'));
  const queues = new TriageQueues(redis, config.redisPrefix);
  const feed = new FeedPublisher(redis, feedChannel(config.redisPrefix));
  let closed = false;
  return {
    config,
    logger,
    pool,
    db,
    redis,
    queues,
    feed,
    async close() {
      if (closed) return;
      closed = true;
      await queues.close().catch(() => {});
      redis.disconnect();
      await db.destroy().catch(() => {});
    },
  };
}

/** Postgres and Redis both answer: what /readyz reports. */
export async function dependenciesReady(rt: Runtime): Promise<Record<string, boolean>> {
  const [postgres, redis] = await Promise.all([
    databaseAnswers(rt.db),
    rt.redis
      .ping()
      .then(() => true)
      .catch(() => false),
  ]);
  return { postgres, redis };
}
