// Planned calls and night supervision in the worker: store the schedules' occurrences ahead of time,
// raise each as an alarm at its due time (and each retry at its time), settle planned calls by device
// check-ins. Everything it needs is in Postgres (db/planned.ts), so every worker process runs it, and a
// worker started after a due time raises what is due; the escalation loop then treats an item left
// unclaimed past its window like an unanswered alarm.
import {
  producingSchedules,
  raiseDue,
  settleByCheckIn,
  storeOccurrences,
  type NewOccurrence,
} from '../../db/planned.js';
import type { AlarmRow } from '../../db/schema.js';
import { localDateOf, occurrencesBetween } from '../../domain/planned.js';
import { announce } from '../intake/accept-alarms.js';
import type { Runtime } from '../../platform/runtime.js';

/**
 * How far back occurrences are made: a worker that was down for up to this long still raises what fell
 * due meanwhile (late, and escalated at once). Never before the schedule's last change, so a new or
 * changed schedule does not raise times of today that had passed when it was saved.
 */
const CATCH_UP_MS = 24 * 3_600_000;

/** Store every producing schedule's occurrences from the catch-up to `horizonHours` ahead. Returns how many were new. */
export async function materialiseSchedules(
  rt: Runtime,
  horizonHours = rt.config.plannedHorizonHours,
  now = new Date(),
): Promise<number> {
  const from = new Date(now.getTime() - CATCH_UP_MS);
  const to = new Date(now.getTime() + horizonHours * 3_600_000);
  const schedules = await producingSchedules(rt.db, localDateOf(from));
  const occ: NewOccurrence[] = schedules.flatMap((s) => {
    const since = new Date(Math.max(from.getTime(), new Date(s.updated_at).getTime()));
    return occurrencesBetween(
      {
        kind: s.kind,
        times: s.times,
        days: s.days,
        windowMinutes: s.window_minutes,
        activeFrom: s.active_from,
        activeTo: s.active_to,
      },
      since,
      to,
    ).map((o) => ({
      scheduleId: s.id,
      version: s.version,
      municipality: s.municipality_id,
      citizenId: s.citizen_id,
      kind: s.kind,
      dueAt: o.dueAt,
      windowEndsAt: o.windowEndsAt,
    }));
  });
  let stored = 0;
  for (let i = 0; i < occ.length; i += 2000) stored += await storeOccurrences(rt.db, occ.slice(i, i + 2000));
  return stored;
}

export type PlannedPass = { raised: AlarmRow[]; settled: AlarmRow[] };

/** Raise what is due, then settle planned calls by check-ins; announce both to triage and the consoles. */
export async function keepPlannedWork(rt: Runtime, opts: { at?: Date } = {}): Promise<PlannedPass> {
  // `at`: the time to raise what is due by (tests); the database's clock by default (db/clock.ts).
  const raised = await raiseDue(rt.db, undefined, opts.at);
  // Queued for triage and published like any accepted alarm; a failure to queue is the reconciler's.
  if (raised.length > 0) await announce(rt, { results: [], created: raised });
  const settled = await settleByCheckIn(rt.db);
  if (settled.length > 0) await rt.feed.published();
  return { raised, settled };
}
