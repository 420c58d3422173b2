// Escalation: every deadline that has passed (an alarm unanswered past its answer target, a claimed
// alarm unresolved past its limit, a dispatch not accepted in time) is escalated once, recorded, and on
// the consoles' live feeds at once. The deadlines are data in Postgres (db/escalations.ts), so this runs
// in every worker process at once, and a worker started after a deadline passed escalates it.
import { escalateDue, type Escalated } from '../../db/escalations.js';
import type { EscalationMetrics } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';

/** One pass over every kind of deadline; returns what this pass escalated (others may have done the rest). */
export async function escalateOverdue(
  rt: Runtime,
  metrics?: EscalationMetrics,
  opts: { at?: Date } = {},
): Promise<Escalated[]> {
  // `at`: the time to judge deadlines by (tests); the database's clock by default (db/clock.ts).
  const escalated = await escalateDue(rt.db, undefined, opts.at);
  if (escalated.length === 0) return escalated;
  await rt.feed.published();
  const byReason = new Map<string, number>();
  for (const e of escalated) {
    metrics?.escalations.inc({ reason: e.reason, municipality: e.municipality });
    byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  }
  // Counts only: which alarm and whose it is stays in Postgres.
  rt.logger.info(Object.fromEntries(byReason), 'deadlines passed: escalated');
  return escalated;
}
