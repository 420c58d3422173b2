// The reconciler: Postgres is the record, Redis only the fast path. Every alarm stored but not triaged
// after a few seconds gets a live job again, whatever happened to the first one (Redis emptied or
// restarted without persistence, a job parked in `failed`, an enqueue that failed after the 202).
//
// Several worker processes reconcile at once. Every step is idempotent: jobId = alarmId, so two
// reconcilers adding the same alarm make one job; retrying a job that is no longer failed is refused
// by BullMQ; and triage itself stores once (triage-alarm.ts).
import { listUntriagedAlarms, type UntriagedAlarm } from '../../db/alarms.js';
import type { Lane } from '../../domain/events.js';
import type { Runtime } from '../../platform/runtime.js';

/** At most this many alarms per tick, oldest first (index alarms_untriaged); the next tick takes the rest. */
const BATCH = 1000;
/** Redis look-ups in flight at once. */
const LOOKUP_CONCURRENCY = 50;

/** States in which a job will still run by itself (an `active` job of a dead worker comes back as stalled). */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** One pass; returns how many alarms were queued again. */
export async function reconcile(rt: Runtime): Promise<number> {
  const stale = await listUntriagedAlarms(rt.db, rt.config.reconcileAfterSeconds, BATCH);

  const again: { alarmId: string; lane: Lane }[] = [];
  let retried = 0;
  const ensureLiveJob = async (a: UntriagedAlarm) => {
    const job = await rt.queues.queues[a.lane].getJob(a.id);
    const state = job ? await job.getState() : 'missing';
    if (LIVE_STATES.has(state)) return;
    if (job && state === 'failed') {
      // Retried in place, with its attempts reset; when another reconciler got there first the job is
      // no longer failed and BullMQ refuses, which is fine.
      const ok = await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
        () => true,
        () => false,
      );
      if (ok) retried++;
      return;
    }
    // Missing (Redis lost it), completed without a stored triage, or unknown: queue it afresh.
    if (job) await job.remove().catch(() => undefined);
    again.push({ alarmId: a.id, lane: a.lane });
  };
  for (let i = 0; i < stale.length; i += LOOKUP_CONCURRENCY)
    await Promise.all(stale.slice(i, i + LOOKUP_CONCURRENCY).map(ensureLiveJob));
  if (again.length) await rt.queues.enqueue(again);
  return again.length + retried;
}
