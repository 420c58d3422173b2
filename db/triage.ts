// The triage worker's statements: lock alarms with their incident context, store their advice.
//
// A triage is one transaction that first locks the alarms' rows (services/triage/triage-alarm.ts says
// why). It is four round trips to Postgres, for one alarm or a job's two hundred: BEGIN; lock the rows
// and read their incident context in one SELECT (`lockAlarmsForTriage`); store the advice and append
// the changes in one statement (`storeAdvice`); COMMIT. A batch holding technical alarms takes one more,
// for their units' maintenance tasks (db/maintenance.ts). Round trips, not SQL, are what a triage costs,
// so the statements are written to need as few as possible: what decisions taught about the citizen,
// the municipality and the centre, and the municipality's settings, are read by the locking SELECT.
import { sql, type RawBuilder } from 'kysely';
import { LEARNED_TYPES, RECENT_TECHNICAL_MINUTES, REPEATS_DO_NOT_RAISE, RISK_TYPES } from '../domain/triage.js';
import type { EventType } from '../domain/events.js';
import type { Evidence } from '../domain/triage-learning.js';
import { evidenceOf, GLOBAL_KEY } from './triage-evidence.js';
import { prepared, type Trx } from './connect.js';
import type { AlarmRow } from './schema.js';
import { toAlarmView } from './views.js';

/** An evidence row's columns as the locking statement reads them (null: no row). */
type EvidenceColumns = { false_alarm: number; phone_resolvable: number; dispatch: number; updated_at: Date } | null;

/**
 * A locked alarm row with the triage inputs computed in SQL (see `TriageInput` in domain/triage.ts),
 * and the transaction's time.
 */
export type LockedAlarm = {
  row: AlarmRow;
  earlierInIncident: number;
  cancelled: boolean;
  /** Seconds from the press to its cancel (device times), when cancelled. */
  cancelledAfterSeconds: number | null;
  /** What decisions taught about the citizen, the municipality and the centre (db/triage-evidence.ts). */
  evidence: { citizen: Evidence | null; municipality: Evidence | null; global: Evidence | null };
  /** When the citizen last needed a visit, from their evidence row. */
  lastVisitAt: Date | null;
  /** The same unit's latest low battery and mains failure in the hour before a press (presses only). */
  recentTechnical: { lowBatteryAt: Date | null; mainsFailureAt: Date | null };
  /** The municipality's triage settings used here (null when it is not registered: the defaults). */
  settings: { cancelWindowSeconds: number; selfClosingTypes: EventType[] } | null;
  now: Date;
};

type ContextColumns = {
  ctx_earlier: string;
  ctx_cancelled_after: number | null;
  ctx_cancelled: boolean;
  ctx_citizen: EvidenceColumns & { last_visit_at: Date | null };
  ctx_municipality: EvidenceColumns;
  ctx_global: EvidenceColumns;
  ctx_low_battery_at: Date | null;
  ctx_mains_failure_at: Date | null;
  ctx_settings: { cancel_window_seconds: number; self_closing_types: EventType[] } | null;
  ctx_now: Date;
};

const asDate = (d: Date | string | null | undefined): Date | null =>
  d === null || d === undefined ? null : new Date(d);

/**
 * Lock alarm rows and read their incident context, in one statement: the earlier alarms of the
 * incident, the cancel, the evidence rows of the citizen, municipality and centre (primary-key
 * lookups), and for a learned type the unit's technical trouble in the hour before (an index range on
 * the unit's low-battery and mains-failure alarms). Rows are locked in id order, so two transactions
 * locking overlapping sets wait for each other and never deadlock.
 */
async function lockWithContext(trx: Trx, where: RawBuilder<unknown>): Promise<LockedAlarm[]> {
  const learned = [...LEARNED_TYPES];
  const risk = [...RISK_TYPES];
  // The worker's hottest statement, the same text every time: prepared once per connection.
  const r = await sql<AlarmRow & ContextColumns>`${prepared('triage-lock')}
    SELECT a.*,
           CASE WHEN a.type = ANY(${[...REPEATS_DO_NOT_RAISE]}::text[]) THEN 0
                ELSE (SELECT count(*) FROM alarms p
                      WHERE p.incident_id = a.incident_id AND p.received_at < a.received_at) END AS ctx_earlier,
           c.cancelled_after AS ctx_cancelled_after,
           c.cancelled_after IS NOT NULL AS ctx_cancelled,
           (SELECT to_jsonb(e) FROM triage_evidence e WHERE e.scope = 'citizen' AND e.key = a.citizen_id) AS ctx_citizen,
           CASE WHEN a.type = ANY(${learned}::text[]) THEN
             (SELECT to_jsonb(e) FROM triage_evidence e WHERE e.scope = 'municipality' AND e.key = a.municipality_id)
                WHEN a.type = ANY(${risk}::text[]) THEN
             (SELECT to_jsonb(e) FROM triage_evidence e WHERE e.scope = 'municipality' AND e.key = a.municipality_id || '/' || a.type) END
             AS ctx_municipality,
           CASE WHEN a.type = ANY(${learned}::text[]) THEN
             (SELECT to_jsonb(e) FROM triage_evidence e WHERE e.scope = 'global' AND e.key = ${GLOBAL_KEY})
                WHEN a.type = ANY(${risk}::text[]) THEN
             (SELECT to_jsonb(e) FROM triage_evidence e WHERE e.scope = 'global' AND e.key = '/' || a.type) END
             AS ctx_global,
           CASE WHEN a.type = ANY(${learned}::text[]) THEN
             (SELECT max(t.occurred_at) FROM alarms t
              WHERE t.device_id = a.device_id AND t.type = 'low_battery'
                AND t.received_at BETWEEN a.received_at - make_interval(mins => ${RECENT_TECHNICAL_MINUTES}) AND a.received_at) END
             AS ctx_low_battery_at,
           CASE WHEN a.type = ANY(${learned}::text[]) THEN
             (SELECT max(t.occurred_at) FROM alarms t
              WHERE t.device_id = a.device_id AND t.type = 'mains_failure'
                AND t.received_at BETWEEN a.received_at - make_interval(mins => ${RECENT_TECHNICAL_MINUTES}) AND a.received_at) END
             AS ctx_mains_failure_at,
           (SELECT jsonb_build_object('cancel_window_seconds', mu.cancel_window_seconds, 'self_closing_types', mu.self_closing_types)
            FROM municipalities mu WHERE mu.id = a.municipality_id) AS ctx_settings,
           now() AS ctx_now
    FROM alarms a
    LEFT JOIN LATERAL (SELECT extract(epoch FROM k.occurred_at - a.occurred_at)::float8 AS cancelled_after
                       FROM alarms k
                       WHERE k.gateway_id = a.gateway_id AND k.relates_to = a.event_id AND k.type = 'cancel'
                       ORDER BY k.received_at LIMIT 1) c ON true
    WHERE ${where}
    ORDER BY a.id
    FOR UPDATE OF a`.execute(trx);
  return r.rows.map(
    ({
      ctx_earlier,
      ctx_cancelled,
      ctx_cancelled_after,
      ctx_citizen,
      ctx_municipality,
      ctx_global,
      ctx_low_battery_at,
      ctx_mains_failure_at,
      ctx_settings,
      ctx_now,
      ...row
    }) => ({
      row,
      earlierInIncident: Number(ctx_earlier),
      cancelled: ctx_cancelled,
      cancelledAfterSeconds: ctx_cancelled_after === null ? null : Number(ctx_cancelled_after),
      evidence: {
        citizen: evidenceOf(ctx_citizen),
        municipality: evidenceOf(ctx_municipality),
        global: evidenceOf(ctx_global),
      },
      lastVisitAt: asDate(ctx_citizen?.last_visit_at),
      recentTechnical: { lowBatteryAt: asDate(ctx_low_battery_at), mainsFailureAt: asDate(ctx_mains_failure_at) },
      settings: ctx_settings && {
        cancelWindowSeconds: ctx_settings.cancel_window_seconds,
        selfClosingTypes: ctx_settings.self_closing_types,
      },
      now: ctx_now,
    }),
  );
}

/**
 * Lock alarms for their triage, with their incident context, and with them the alarm each cancel or
 * mains restore among them relates to (same gateway, its event id), which the cancel may re-advise and
 * a self-closing restore closes. Alarms not stored are left out.
 */
export function lockAlarmsForTriage(trx: Trx, alarmIds: readonly string[]): Promise<LockedAlarm[]> {
  const ids = [...alarmIds];
  return lockWithContext(
    trx,
    sql`a.id IN (SELECT unnest(${ids}::uuid[])
                 UNION
                 SELECT p.id FROM alarms c JOIN alarms p ON p.gateway_id = c.gateway_id AND p.event_id = c.relates_to
                 WHERE c.id = ANY(${ids}::uuid[]) AND c.type IN ('cancel', 'mains_restored'))`,
  );
}

/**
 * Store the advice (triage columns, triaged_at, status; the outcome and its author when triage closed the
 * alarm itself) of alarms locked in this transaction, take them off the reconciler's list
 * (triage_pending) and append their changes to the log, in that order, in one statement. The rows are locked, so their new state is
 * known before the UPDATE and each change's view can be built first. Like the accept statement
 * (db/accept.ts), it appends to the log without db/changes.ts; the seq comes from the column's default,
 * as there.
 */
export async function storeAdvice(trx: Trx, next: readonly AlarmRow[]): Promise<void> {
  if (next.length === 0) return;
  const col = <T>(f: (r: AlarmRow) => T) => next.map(f);
  await sql`${prepared('triage-store')}
    WITH advice AS (
      SELECT * FROM unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.triage_class)}::text[],
                           ${col((r) => r.triage_priority)}::smallint[], ${col((r) => r.triage_confidence)}::real[],
                           ${col((r) => JSON.stringify(r.triage_reasons ?? []))}::jsonb[], ${col((r) => r.triaged_at)}::timestamptz[],
                           ${col((r) => r.status)}::text[], ${col((r) => JSON.stringify(toAlarmView(r)))}::jsonb[],
                           ${col((r) => JSON.stringify(r.triage_reason_keys ?? null))}::jsonb[],
                           ${col((r) => JSON.stringify(r.triage_learning ?? null))}::jsonb[],
                           ${col((r) => r.outcome)}::text[], ${col((r) => r.resolved_by)}::text[],
                           ${col((r) => r.resolved_at)}::timestamptz[])
             WITH ORDINALITY AS v(id, class, priority, confidence, reasons, triaged_at, status, view, reason_keys, learning,
                                  outcome, resolved_by, resolved_at, ord)
    ),
    updated AS (
      UPDATE alarms a SET triage_class = v.class, triage_priority = v.priority, triage_confidence = v.confidence,
                          triage_reasons = ARRAY(SELECT r FROM jsonb_array_elements_text(v.reasons) WITH ORDINALITY AS e(r, n) ORDER BY n),
                          triaged_at = v.triaged_at, status = v.status,
                          triage_reason_keys = NULLIF(v.reason_keys, 'null'::jsonb),
                          triage_learning = NULLIF(v.learning, 'null'::jsonb),
                          outcome = v.outcome, resolved_by = v.resolved_by, resolved_at = v.resolved_at
      FROM advice v WHERE a.id = v.id
      RETURNING a.id, a.municipality_id
    ),
    triaged AS (DELETE FROM triage_pending p USING updated u WHERE p.alarm_id = u.id)
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT 'alarm', u.id, u.municipality_id, v.view
    FROM updated u JOIN advice v ON v.id = u.id
    ORDER BY v.ord`.execute(trx);
}
