// Triage of one alarm: gather its context, classify (pure rules), store the advice idempotently.
//
// Everything happens in one transaction that first locks the alarm's row. The lock is what makes a
// cancel and its press safe to triage in any order, on any workers: whichever transaction takes the
// press's row second sees the other's committed work (a press triaged after the cancel was stored
// sees the cancel; a cancel triaged after the press was triaged re-advises it).
//
// The common path is four round trips to Postgres: BEGIN; lock the row and read its incident context
// in one SELECT; store the advice and append its change in one statement; COMMIT. Round trips, not
// SQL, are what a triage costs, so the statements are written to need as few as possible.
import { sql, type Transaction } from 'kysely';
import type { AlarmRow, Database } from '../../db/schema.js';
import { toAlarmView } from '../../db/views.js';
import type { EventType, VoiceState } from '../../domain/events.js';
import { classify, type Triage } from '../../domain/triage.js';
import { localHour } from '../../domain/time.js';
import type { Runtime } from '../../platform/runtime.js';

export type TriageOutcome =
  | { result: 'triaged'; alarm: AlarmRow; triage: Triage; readvised: AlarmRow | null }
  | { result: 'already_triaged' | 'missing' };

type Trx = Transaction<Database>;
/** A locked alarm row with what triage needs to know about its incident, and the transaction's time. */
type Locked = { row: AlarmRow; earlierInIncident: number; cancelled: boolean; now: Date };

/** Lock one alarm row and read its incident context, in one statement. */
async function lockWithContext(trx: Trx, where: ReturnType<typeof sql>): Promise<Locked | undefined> {
  const r = await sql<AlarmRow & { ctx_earlier: string; ctx_cancelled: boolean; ctx_now: Date }>`
    SELECT a.*,
           (SELECT count(*) FROM alarms p
            WHERE p.incident_id = a.incident_id AND p.received_at < a.received_at) AS ctx_earlier,
           EXISTS (SELECT 1 FROM alarms c
                   WHERE c.gateway_id = a.gateway_id AND c.relates_to = a.event_id AND c.type = 'cancel') AS ctx_cancelled,
           now() AS ctx_now
    FROM alarms a WHERE ${where}
    FOR UPDATE OF a`.execute(trx);
  const found = r.rows[0];
  if (!found) return undefined;
  const { ctx_earlier, ctx_cancelled, ctx_now, ...row } = found;
  return { row, earlierInIncident: Number(ctx_earlier), cancelled: ctx_cancelled, now: ctx_now };
}

function advise(l: Locked, cancelled = l.cancelled): Triage {
  const a = l.row;
  return classify({
    type: a.type as EventType,
    voice: a.voice as VoiceState | null,
    unknownDevice: a.unknown_device,
    batteryPercent: a.battery_percent,
    occurredAt: new Date(a.occurred_at),
    receivedAt: new Date(a.received_at),
    localHour: localHour(new Date(a.occurred_at)),
    earlierInIncident: l.earlierInIncident,
    cancelled,
  });
}

const withAdvice = (row: AlarmRow, t: Triage): AlarmRow => ({
  ...row,
  triage_class: t.class,
  triage_priority: t.priority,
  triage_confidence: t.confidence,
  triage_reasons: t.reasons,
});

/**
 * Store the new state of a locked row and append its change to the log, in one statement. The row is
 * locked, so its new state is known before the UPDATE and the change's view can be built first. This
 * is the one place that appends to the log without db/changes.ts; the seq is still assigned at COMMIT.
 */
async function saveLocked(trx: Trx, next: AlarmRow): Promise<void> {
  await sql`
    WITH updated AS (
      UPDATE alarms SET triage_class = ${next.triage_class}, triage_priority = ${next.triage_priority},
                        triage_confidence = ${next.triage_confidence}, triage_reasons = ${next.triage_reasons},
                        triaged_at = ${next.triaged_at}, status = ${next.status}
      WHERE id = ${next.id}
      RETURNING id, municipality_id
    )
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT 'alarm', updated.id, updated.municipality_id, ${JSON.stringify(toAlarmView(next))}::jsonb
    FROM updated`.execute(trx);
}

/**
 * Triage one alarm. Idempotent: an alarm already triaged is left as it is and no change is appended,
 * so a re-delivered job changes nothing. An operator's claim or decision is never overwritten.
 * A cancel re-advises its press in the same transaction (see `readviseCancelledPress`).
 */
export async function triageAlarm(rt: Runtime, alarmId: string): Promise<TriageOutcome> {
  const outcome = await rt.db.transaction().execute(async (trx): Promise<TriageOutcome> => {
    const locked = await lockWithContext(trx, sql`a.id = ${alarmId}`);
    if (!locked) return { result: 'missing' };
    if (locked.row.triaged_at !== null) return { result: 'already_triaged' };
    const triage = advise(locked);
    const row: AlarmRow = {
      ...withAdvice(locked.row, triage),
      triaged_at: locked.now,
      // An operator may have claimed it before triage: the claim stands.
      status: locked.row.status === 'received' ? 'triaged' : locked.row.status,
    };
    await saveLocked(trx, row);
    const readvised = row.type === 'cancel' && row.relates_to ? await readviseCancelledPress(trx, row) : null;
    return { result: 'triaged', alarm: row, triage, readvised };
  });
  if (outcome.result === 'triaged') await rt.feed.published();
  return outcome;
}

/**
 * A cancel that arrives after its press was triaged: advise the press again as cancelled, while no
 * operator has taken it. The safety floors still hold (a pendant with no answer stays a dispatch).
 * Returns the press's new row when its advice changed.
 */
async function readviseCancelledPress(trx: Trx, cancel: AlarmRow): Promise<AlarmRow | null> {
  const press = await lockWithContext(
    trx,
    sql`a.gateway_id = ${cancel.gateway_id} AND a.event_id = ${cancel.relates_to}`,
  );
  // Not yet triaged: its own triage will see the cancel. Claimed or resolved: the operator has it.
  if (!press || press.row.status !== 'triaged' || press.row.claimed_by !== null) return null;
  const advice = advise(press, true);
  if (advice.class === press.row.triage_class && advice.priority === press.row.triage_priority) return null;
  const row = withAdvice(press.row, advice);
  await saveLocked(trx, row);
  return row;
}
