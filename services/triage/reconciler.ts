// The reconciler: Postgres is the record, Redis only the fast path. Every alarm stored but not triaged
// after a few seconds is triaged here, straight from Postgres, whatever happened to its job (Redis
// emptied or restarted without persistence, a job parked in `failed`, an enqueue that failed after the
// 202, a lane so far behind that its jobs wait longer than that). It needs nothing from Redis.
//
// Several worker processes reconcile at once, beside the jobs: triage locks each alarm's row and
// leaves an alarm already triaged as it is (triage-alarm.ts), so whoever comes second changes nothing,
// and the job that finds its alarms triaged is done at the cost of one statement.
import { listUntriagedAlarms } from '../../db/alarms.js';
import { LANES } from '../../domain/events.js';
import { TRIAGE_JOB_MAX } from '../../platform/queue.js';
import type { Runtime } from '../../platform/runtime.js';
import { triageIsolating } from './triage-alarm.js';

/** At most this many alarms per tick, oldest first (table triage_pending); the next tick takes the rest. */
const BATCH = 1000;

/**
 * One pass, the urgent lane first; returns how many alarms it triaged. An alarm whose triage fails is
 * left for the next pass without holding back the others (`triageIsolating`); the failure is in the log.
 */
export async function reconcile(rt: Runtime): Promise<number> {
  const stale = await listUntriagedAlarms(rt.db, rt.config.reconcileAfterSeconds, BATCH);
  let triaged = 0;
  for (const lane of LANES) {
    const ids = stale.filter((a) => a.lane === lane).map((a) => a.id);
    for (let i = 0; i < ids.length; i += TRIAGE_JOB_MAX) {
      const results = await triageIsolating(rt, ids.slice(i, i + TRIAGE_JOB_MAX));
      for (const r of results.values()) if (r.ok && r.outcome.result === 'triaged') triaged++;
    }
  }
  return triaged;
}
