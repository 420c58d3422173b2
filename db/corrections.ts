// A decision changed after the fact: an alarm's outcome corrected by a supervisor, recorded with who,
// when, from what and why (alarm_corrections). The alarm keeps the corrected outcome; statistics count
// it from then on (a month that has ended is marked stale by the trigger in migrations/0008), and so does
// what triage has learned (db/triage-evidence.ts: the incident's contribution takes the new outcome).
import type { TriageClass } from '../domain/events.js';
import { appendChanges } from './changes.js';
import type { Db } from './connect.js';
import type { AuditActor } from './audit.js';
import { auditDecision, type Decision } from './decisions.js';
import type { AlarmRow } from './schema.js';
import { learnFromCorrection } from './triage-evidence.js';
import { toAlarmView } from './views.js';

/**
 * Correct a resolved alarm's outcome. Only this alarm changes, not the rest of its incident: a
 * correction is a finding about one alarm (what it really was), and a dispatch already sent stays sent.
 * Refused (conflict) while the alarm is not resolved; the same outcome again changes nothing.
 */
export async function correctOutcome(
  db: Db,
  id: string,
  username: string,
  correction: { outcome: TriageClass; note: string },
  by?: AuditActor,
): Promise<Decision<AlarmRow>> {
  return db.transaction().execute(async (trx) => {
    const alarm = await trx.selectFrom('alarms').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const refused = !alarm || alarm.status !== 'resolved' || alarm.outcome === null;
    await auditDecision(trx, by, 'alarm.correct', id, alarm, refused);
    if (!alarm) return { outcome: 'missing' };
    if (refused || alarm.outcome === null) return { outcome: 'conflict', value: alarm };
    if (alarm.outcome === correction.outcome) return { outcome: 'unchanged', value: alarm };
    await trx
      .insertInto('alarm_corrections')
      .values({
        alarm_id: alarm.id,
        municipality_id: alarm.municipality_id,
        alarm_received_at: alarm.received_at,
        previous_outcome: alarm.outcome,
        outcome: correction.outcome,
        note: correction.note,
        corrected_by: username,
      })
      .execute();
    await learnFromCorrection(trx, alarm, correction.outcome);
    const corrected = await trx
      .updateTable('alarms')
      .set({ outcome: correction.outcome })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendChanges(trx, [
      {
        kind: 'alarm',
        entityId: corrected.id,
        municipality: corrected.municipality_id,
        payload: toAlarmView(corrected),
      },
    ]);
    return { outcome: 'changed', value: corrected };
  });
}
