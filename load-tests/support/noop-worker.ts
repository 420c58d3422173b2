// The queue floor of the triage benchmark: BullMQ workers on the triage lanes' queues, with the triage
// worker's connection, prefix and concurrency, whose jobs do nothing. What one worker process can take
// off the same queues when the work costs nothing.
// Run as its own process: `tsx load-tests/support/noop-worker.ts` with REDIS_URL, REDIS_PREFIX,
// TRIAGE_CONCURRENCY; prints "ready" once its workers run.
import { Worker } from 'bullmq';
import { LANES } from '../../domain/events.js';
import { bullPrefix, queueName } from '../../platform/queue.js';
import { blockingRedis } from '../../platform/redis.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = bullPrefix(process.env.REDIS_PREFIX ?? 'rc-load-triage');
const concurrency = Number(process.env.TRIAGE_CONCURRENCY ?? 16);

const workers = LANES.map(
  (lane) =>
    new Worker(queueName(lane), async () => ({ noop: 1 }), {
      connection: blockingRedis(redisUrl),
      prefix,
      concurrency,
    }),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
console.log('ready');
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void Promise.all(workers.map((w) => w.close())).finally(() => process.exit(0)));
