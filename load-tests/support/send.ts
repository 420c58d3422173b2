// The two ways the scenarios send, both through the simulator's gateway client (a Bearer key per
// gateway, bounded retries): an open-loop schedule of single events (a send is due at its time and never
// waits for earlier answers, so a slow answer shows in the figures instead of slowing the sender), and
// backlog batches with a fixed number in flight. Both are bounded: a finite list, and a deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, type Delivery } from '../../services/simulator/gateway.js';
import type { GatewayEvent } from '../../services/simulator/profile.js';

export type Planned = { atMs: number; gatewayId: string; event: GatewayEvent };
export type Batch = { gatewayId: string; events: GatewayEvent[] };

/** A delivery, or a request that failed without an answer. */
export type Outcome = Delivery | { gatewayId: string; event: GatewayEvent; error: string; sentAt: number };

export const isAccepted = (o: Outcome): o is Extract<Delivery, { alarmId: string }> => 'alarmId' in o && !o.duplicate;

export type Sender = {
  ingestUrl: string;
  keys: ReadonlyMap<string, string>;
  /** Sockets to ingest (the HTTP agent queues requests beyond these). */
  connections?: number;
  /** Requests per event or batch; 1 = no retry. */
  maxAttempts?: number;
};

const client = (s: Sender) =>
  new GatewayClient({
    ingestUrl: s.ingestUrl,
    keys: s.keys,
    connections: s.connections ?? 64,
    maxAttempts: s.maxAttempts ?? 1,
    maxWaitMs: 2_000,
  });

/**
 * Sends each planned event at its time (occurredAt = the moment it is sent) and waits for the answers.
 * `stop` ends the schedule early (checked before each send); nothing is sent after `maxMs`.
 */
export async function openLoop(
  sender: Sender,
  plan: Iterable<Planned>,
  opts: { maxMs: number; stop?: () => boolean; onOutcome?: (o: Outcome, index: number) => void },
): Promise<Outcome[]> {
  const gateway = client(sender);
  const outcomes: Outcome[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let i = 0;
  try {
    for (const p of plan) {
      if (p.atMs > opts.maxMs || opts.stop?.()) break;
      const wait = t0 + p.atMs - performance.now();
      if (wait > 1) await sleep(wait);
      const index = i++;
      const event = { ...p.event, occurredAt: new Date().toISOString() };
      const sentAt = performance.now();
      inFlight.push(
        gateway.sendEvent(p.gatewayId, event).then(
          (d) => {
            outcomes[index] = d;
            opts.onOutcome?.(d, index);
          },
          (err: Error) => {
            const o: Outcome = { gatewayId: p.gatewayId, event, error: err.message, sentAt };
            outcomes[index] = o;
            opts.onOutcome?.(o, index);
          },
        ),
      );
    }
    await Promise.all(inFlight);
  } finally {
    gateway.close();
  }
  return outcomes;
}

export type BatchOutcome = { sentAt: number; answeredAt: number; deliveries: Outcome[] };

/** Posts the batches to POST /v1/alarms/batch, `inFlight` at a time, in order. */
export async function sendBatches(
  sender: Sender,
  batches: readonly Batch[],
  inFlight: number,
  onBatch?: (b: BatchOutcome) => void,
): Promise<BatchOutcome[]> {
  const gateway = client({ ...sender, connections: inFlight });
  const out: BatchOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const b = batches[next++]!;
      const sentAt = performance.now();
      let deliveries: Outcome[];
      try {
        deliveries = await gateway.sendBatch(b.gatewayId, b.events);
      } catch (err) {
        deliveries = b.events.map((event) => ({
          gatewayId: b.gatewayId,
          event,
          error: (err as Error).message,
          sentAt,
        }));
      }
      const o = { sentAt, answeredAt: performance.now(), deliveries };
      out.push(o);
      onBatch?.(o);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, lane));
  } finally {
    gateway.close();
  }
  return out;
}
