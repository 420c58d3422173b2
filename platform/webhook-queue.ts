// The webhook delivery queue (BullMQ). A job carries only a delivery id, never the body or anything
// personal (Redis keeps job data in clear text): the worker reads the delivery from Postgres, the
// record. The job id is the delivery id, so handing the same delivery again while its job waits,
// runs or backs off adds nothing.
import { Queue, type JobsOptions } from 'bullmq';
import { bullPrefix } from './queue.js';
import type { Redis } from './redis.js';

export const WEBHOOK_QUEUE = 'webhook-deliveries';

export type WebhookJob = { deliveryId: string };

export type WebhookRetry = {
  /** Attempts of one round; a delivery still not acknowledged after them is offered again by the relay. */
  attempts: number;
  /** The first retry's delay; each later one doubles it (BullMQ's exponential backoff). */
  backoffMs: number;
};

/** 10 attempts: at once, then after 1, 2, 4, … 256 s; about 8½ minutes of waiting in all. */
export const WEBHOOK_RETRY: WebhookRetry = { attempts: 10, backoffMs: 1_000 };

export const webhookJobOptions = (retry: WebhookRetry, deliveryId: string): JobsOptions => ({
  jobId: deliveryId,
  attempts: retry.attempts,
  backoff: { type: 'exponential', delay: retry.backoffMs },
  // Gone once finished either way: Postgres keeps the outcome, and the relay can hand a delivery whose
  // attempts were used up to the queue again under the same id.
  removeOnComplete: true,
  removeOnFail: true,
});

export class WebhookQueue {
  readonly queue: Queue<WebhookJob>;

  constructor(
    connection: Redis,
    redisPrefix: string,
    private readonly retry: WebhookRetry = WEBHOOK_RETRY,
  ) {
    this.queue = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection, prefix: bullPrefix(redisPrefix) });
    // Connection errors surface on the calls that fail; without a listener they would be printed raw.
    this.queue.on('error', () => {});
  }

  /** Queue deliveries; one already queued (waiting, running or backing off) is left as it is. */
  async add(deliveryIds: readonly string[]): Promise<void> {
    await this.queue.addBulk(
      deliveryIds.map((deliveryId) => ({
        name: 'deliver',
        data: { deliveryId },
        opts: webhookJobOptions(this.retry, deliveryId),
      })),
    );
  }

  /** Jobs waiting, running, delayed (backing off), per state (for /metrics). */
  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
