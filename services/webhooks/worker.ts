// Webhook delivery in the worker process: the relay (outbox → queue), a BullMQ worker that POSTs each
// delivery until it is acknowledged, and the upkeep (alerts for webhooks failing too long, pruning of
// old acknowledged deliveries).
//
// Retries: a round of attempts with exponential backoff (platform/webhook-queue.ts, WEBHOOK_RETRY);
// a delivery still not acknowledged after its round is handed to the queue again by the relay once
// `reofferAfterMs` has passed since it was last handed, and so on until a 2xx.
import { EventEmitter } from 'node:events';
import { Worker } from 'bullmq';
import { pruneDelivered } from '../../db/webhook-outbox.js';
import { webhookHealth } from '../../db/webhooks.js';
import { webhookAlert } from '../../domain/webhooks.js';
import { every, type Loop } from '../../platform/loop.js';
import { errorFields } from '../../platform/logger.js';
import { webhookMetrics, type WebhookMetrics } from '../../platform/metrics.js';
import { bullPrefix } from '../../platform/queue.js';
import { blockingRedis } from '../../platform/redis.js';
import type { Runtime } from '../../platform/runtime.js';
import {
  WEBHOOK_QUEUE,
  WEBHOOK_RETRY,
  WebhookQueue,
  type WebhookJob,
  type WebhookRetry,
} from '../../platform/webhook-queue.js';
import type { Registry } from 'prom-client';
import { attemptDelivery, type AttemptResult } from './deliver.js';
import { relayDeliveries } from './relay.js';

export type WebhookOptions = {
  /** How often the relay looks for waiting deliveries. */
  relayEveryMs?: number;
  /** Hand a delivery to the queue again when it was handed this long ago and is still not acknowledged. */
  reofferAfterMs?: number;
  retry?: WebhookRetry;
  /** An attempt with no complete answer headers after this long fails. */
  timeoutMs?: number;
  /** Deliveries attempted at once per worker process. */
  concurrency?: number;
  /** How often alerts are checked and old deliveries pruned. */
  upkeepEveryMs?: number;
};

const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

/** Acknowledged deliveries are kept this long (the per-dispatch status reads them), then pruned. */
const KEEP_DELIVERED_DAYS = 30;

/** Every attempt's result, for tests and tools. */
export type WebhookEvents = { attempt: [deliveryId: string, result: AttemptResult] };

export type WebhookWorker = {
  queue: WebhookQueue;
  worker: Worker<WebhookJob>;
  events: EventEmitter<WebhookEvents>;
  metrics: WebhookMetrics;
  /** Run the relay now (it also runs every relayEveryMs). */
  relay(): Promise<void>;
  /** Check alerts and prune now (it also runs every upkeepEveryMs). */
  upkeep(): Promise<void>;
  close(): Promise<void>;
};

export function createWebhookWorker(rt: Runtime, registry: Registry, opts: WebhookOptions = {}): WebhookWorker {
  const retry = opts.retry ?? WEBHOOK_RETRY;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const metrics = webhookMetrics(registry);
  const events = new EventEmitter<WebhookEvents>();
  const queue = new WebhookQueue(rt.redis, rt.config.redisPrefix, retry);
  const connection = blockingRedis(rt.config.redisUrl);
  connection.on('error', () => {}); // reported through the worker's own error events

  const worker = new Worker<WebhookJob>(
    WEBHOOK_QUEUE,
    async (job) => {
      const result = await attemptDelivery(rt, job.data.deliveryId, timeoutMs);
      events.emit('attempt', job.data.deliveryId, result);
      if (result.outcome === 'delivered') metrics.attempts.inc({ result: 'delivered' });
      if (result.outcome !== 'failed') return result.outcome;
      metrics.attempts.inc({ result: 'failed' });
      const attempt = job.attemptsMade + 1;
      const last = attempt >= (job.opts.attempts ?? 1);
      // Never the body, the URL's path or the secret: the delivery, its municipality, the host, why.
      const fields = {
        deliveryId: job.data.deliveryId,
        municipality: result.municipality,
        host: result.host,
        status: result.status,
        attempt,
        reason: result.error,
      };
      if (attempt === 1 || last)
        rt.logger.warn(
          fields,
          last ? 'webhook delivery failed; the relay will offer it again' : 'webhook delivery failed',
        );
      else rt.logger.debug(fields, 'webhook delivery failed');
      // BullMQ retries it after its backoff.
      throw new Error(result.error);
    },
    {
      connection,
      prefix: bullPrefix(rt.config.redisPrefix),
      concurrency: opts.concurrency ?? 8,
      // The worker renews its lock while an attempt runs; a job whose worker died is given back after
      // ~10–15 s and sent again under the same delivery id.
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
    },
  );
  worker.on('error', (err) => rt.logger.debug(errorFields(err), 'webhook worker: redis error'));

  const relayOptions = { batch: 500, againAfterMs: opts.reofferAfterMs ?? 10 * 60_000 };
  const alerting = new Set<string>();
  const loops: Loop[] = [
    every(opts.relayEveryMs ?? 1_000, 'webhook relay', rt.logger, async () => {
      const n = await relayDeliveries(rt, queue, relayOptions);
      if (n > 0) metrics.relayed.inc(n);
    }),
    every(opts.upkeepEveryMs ?? 15_000, 'webhook upkeep', rt.logger, async () => {
      const health = await webhookHealth(rt.db, null);
      let n = 0;
      for (const h of health) {
        const alert = h.url !== null && webhookAlert(h.failingForSeconds, rt.config.webhookAlertAfterSeconds);
        if (alert) n++;
        if (alert && !alerting.has(h.municipality)) {
          alerting.add(h.municipality);
          rt.logger.warn(
            { municipality: h.municipality, failingSince: h.failingSince, waiting: h.waiting, reason: h.lastError },
            'webhook failing for longer than WEBHOOK_ALERT_AFTER_SECONDS',
          );
        } else if (!alert && alerting.delete(h.municipality)) {
          rt.logger.info({ municipality: h.municipality }, 'webhook no longer failing');
        }
      }
      metrics.alerting.set(n);
      await pruneDelivered(rt.db, KEEP_DELIVERED_DAYS, 1000);
    }),
  ];
  const [relayLoop, upkeepLoop] = loops as [Loop, Loop];
  let closed = false;

  return {
    queue,
    worker,
    events,
    metrics,
    relay: () => relayLoop.tick(),
    upkeep: () => upkeepLoop.tick(),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(loops.map((l) => l.stop()));
      // Waits for attempts in flight to finish (each is bounded by timeoutMs).
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
