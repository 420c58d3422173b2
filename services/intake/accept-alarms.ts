// Accepting alarms: commit them (the record), then queue them for triage and tell consoles.
// Queueing and notifying happen after COMMIT and may fail without losing anything: the reconciler
// triages any alarm stored but not triaged, and consoles poll the change log.
import type { Lane } from '../../domain/events.js';
import { storeAlarms, type NewAlarm, type StoreOutcome } from '../../db/accept.js';
import { errorFields } from '../../platform/logger.js';
import { hotDbFor, type Runtime } from '../../platform/runtime.js';

export async function acceptAlarms(rt: Runtime, items: NewAlarm[]): Promise<StoreOutcome> {
  const outcome = await storeAlarms(hotDbFor(rt, items.length), items);
  await announce(rt, outcome);
  return outcome;
}

/**
 * BullMQ waits for Redis to come back rather than failing; past this, the reconciler takes over and
 * nothing piles up in memory during a Redis outage.
 */
const ENQUEUE_TIMEOUT_MS = 2_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Queue new alarms for triage and publish the change log's new head. Never throws. */
export async function announce(rt: Runtime, outcome: StoreOutcome): Promise<void> {
  if (outcome.created.length === 0) return;
  const jobs = outcome.created.map((a) => ({ alarmId: a.id, lane: a.lane as Lane }));
  await Promise.all([
    within(rt.queues.enqueue(jobs), ENQUEUE_TIMEOUT_MS).catch((err: Error) => {
      rt.logger.warn(
        { ...errorFields(err), alarms: outcome.created.length },
        'enqueue failed; the reconciler will enqueue these alarms',
      );
    }),
    rt.feed.published(),
  ]);
}
