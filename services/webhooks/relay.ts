// The relay: hands waiting deliveries from the outbox (Postgres) to the delivery queue (BullMQ). It is
// what makes the outbox safe: a change committed while Redis or every worker was away, a job lost with
// Redis, a delivery whose round of attempts is used up, each is handed to the queue again by whichever
// worker's relay runs next. The job id is the delivery id, so handing one twice (two relays, a relay
// repeating itself) never makes a second job or a new delivery id.
import { relayWaitingDeliveries } from '../../db/webhook-outbox.js';
import type { Runtime } from '../../platform/runtime.js';
import type { WebhookQueue } from '../../platform/webhook-queue.js';

export type RelayOptions = {
  /** Deliveries per transaction. */
  batch: number;
  /** A delivery handed this long ago and still not acknowledged is handed again. */
  againAfterMs: number;
};

/** At most this many batches per run, so one run never holds the loop for long. */
const MAX_BATCHES = 20;

/** Hand every due delivery to the queue (oldest first); returns how many were handed. */
export async function relayDeliveries(rt: Runtime, queue: WebhookQueue, opts: RelayOptions): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await relayWaitingDeliveries(rt.db, { limit: opts.batch, againAfterMs: opts.againAfterMs }, (ids) =>
      queue.add(ids),
    );
    total += n;
    if (n < opts.batch) break;
  }
  return total;
}
