// The reconciler: Postgres is the record, Redis only the fast path. Every alarm stored but not triaged
// after a few seconds gets a live job again, whatever happened to the first one (Redis emptied or
// restarted without persistence, a job parked in `failed`, an enqueue that failed after the 202).
import { sql } from 'kysely';
import type { Lane } from '../domain/events.js';
import type { Runtime } from '../platform/runtime.js';

/** At most this many alarms per tick, oldest first; the next tick takes the rest. */
const BATCH = 500;

/** States in which a job will still run by itself. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** One pass; returns how many alarms were queued again. */
export async function reconcile(rt: Runtime): Promise<number> {
  const stale = await rt.db
    .selectFrom('alarms')
    .select(['id', 'lane'])
    .where('triaged_at', 'is', null)
    .where('received_at', '<', sql<Date>`now() - make_interval(secs => ${rt.config.reconcileAfterSeconds})`)
    .orderBy('received_at')
    .limit(BATCH)
    .execute();
  const again: { alarmId: string; lane: Lane }[] = [];
  let retried = 0;
  for (const a of stale) {
    const lane = a.lane as Lane;
    const queue = rt.queues.queues[lane];
    const job = await queue.getJob(a.id);
    const state = job ? await job.getState() : 'missing';
    if (LIVE_STATES.has(state)) continue;
    if (state === 'failed') {
      // Retry in place; if another reconciler got there first the job is no longer failed.
      await job!.retry().then(
        () => retried++,
        () => undefined,
      );
    } else {
      // Missing (Redis lost it), completed without a stored triage, or unknown: queue it afresh.
      if (job) await job.remove().catch(() => undefined);
      again.push({ alarmId: a.id, lane });
    }
  }
  if (again.length) await rt.queues.enqueue(again);
  return again.length + retried;
}
