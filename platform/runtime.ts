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
  /**
   * Connections for the hottest statements alone, over a few alarms (`hotDbFor`): the accept
   * (db/accept.ts) and the triage transaction (db/triage.ts). They are prepared statements planned
   * generically, every few seconds per connection, instead of planned again for every call
   * (`genericPlans` in db/connect.ts). Nothing else runs here but the other few statements of those
   * transactions (the triage's maintenance tasks, the accept's look-up of re-sends), so every other
   * statement keeps plans made for its values.
   */
  hotDb: Db;
  /** Fails fast while Redis is away: for producers on a request path. */
  redis: Redis;
  queues: TriageQueues;
  feed: FeedPublisher;
  close(): Promise<void>;
};

/**
 * Connections of hotDb: ingest commits at most two transactions per urgency lane and, of 64 alarms
 * or fewer, INGEST_BULK_COMMITS batches at once (services/ingest/acceptor.ts), seven by default; larger
 * batches use the main pool. The worker four triage transactions
 * (services/triage/worker.ts) and the reconciler's, five. Enough for both in one process but for the
 * odd wait of a reconciler pass.
 */
const HOT_POOL_SIZE = 12;

export function createRuntime(config: Config, logger: Logger, opts: { poolSize?: number } = {}): Runtime {
  const pool = createPool(config.databaseUrl, { max: opts.poolSize ?? 10 });
  const db = createDb(pool);
  // pg connects a pool's clients only when they are asked for.
  const hotDb = createDb(createPool(config.databaseUrl, { max: HOT_POOL_SIZE, genericPlans: true }));
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
    hotDb,
    redis,
    queues,
    feed,
    async close() {
      if (closed) return;
      closed = true;
      await queues.close().catch(() => {});
      redis.disconnect();
      await Promise.all([db.destroy().catch(() => {}), hotDb.destroy().catch(() => {})]);
    },
  };
}

/**
 * Most alarms for which the accept or a triage runs on hotDb. Planning costs about a millisecond: most
 * of a commit of a few alarms, which is what single events and triage jobs under load make, but nothing
 * beside the commit of a gateway's batch of hundreds, whose plan is better made for its size (a generic
 * plan assumes ten).
 */
export const GENERIC_PLAN_MAX_ALARMS = 64;

/** Where the accept or a triage of `alarms` alarms runs: hotDb for a few, the main pool for more. */
export const hotDbFor = (rt: Runtime, alarms: number): Db => (alarms <= GENERIC_PLAN_MAX_ALARMS ? rt.hotDb : rt.db);

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
