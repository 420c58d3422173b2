// Rows → the contract's views. The one place that decides how stored columns appear on the wire.
import type { AlarmEscalationReason } from '../domain/escalation.js';
import type { AlarmView, DispatchView, MaintenanceTaskView, MunicipalityView } from '../domain/views.js';
import { triageSettingsOf, type MunicipalityRow } from './municipalities.js';
import type { AlarmRow, DispatchRow, MaintenanceTaskRow } from './schema.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toAlarmView(r: AlarmRow): AlarmView {
  return {
    id: r.id,
    municipality: r.municipality_id,
    deviceId: r.device_id,
    citizenId: r.citizen_id,
    unknownDevice: r.unknown_device,
    type: r.type as AlarmView['type'],
    occurredAt: iso(r.occurred_at)!,
    receivedAt: iso(r.received_at)!,
    status: r.status as AlarmView['status'],
    triage:
      r.triage_class === null
        ? null
        : {
            class: r.triage_class as NonNullable<AlarmView['triage']>['class'],
            priority: r.triage_priority ?? 5,
            confidence: r.triage_confidence ?? 0,
            reasons: r.triage_reasons ?? [],
            triagedAt: iso(r.triaged_at)!,
            ...(r.triage_reason_keys ? { reasonKeys: r.triage_reason_keys } : {}),
            ...(r.triage_learning !== undefined ? { learning: r.triage_learning } : {}),
          },
    incidentId: r.incident_id,
    escalated: r.escalated,
    escalation:
      r.escalation_reason === null || r.escalated_at === null
        ? null
        : { reason: r.escalation_reason as AlarmEscalationReason, at: iso(r.escalated_at)! },
    claimedBy: r.claimed_by,
    claimedAt: iso(r.claimed_at),
    outcome: r.outcome as AlarmView['outcome'],
    resolvedAt: iso(r.resolved_at),
    answerBy: iso(r.answer_by ?? null),
    result: (r.result ?? null) as AlarmView['result'],
  };
}

export function toDispatchView(r: DispatchRow): DispatchView {
  return {
    id: r.id,
    alarmId: r.alarm_id,
    municipality: r.municipality_id,
    citizenId: r.citizen_id,
    status: r.status as DispatchView['status'],
    team: r.team,
    requestedAt: iso(r.requested_at)!,
    updatedAt: iso(r.updated_at)!,
    alarmType: r.alarm_type as DispatchView['alarmType'],
    note: r.note,
    escalation: r.escalated_at === null ? null : { reason: 'not_accepted', at: iso(r.escalated_at)! },
  };
}

export function toMaintenanceTaskView(r: MaintenanceTaskRow): MaintenanceTaskView {
  return {
    id: r.id,
    municipality: r.municipality_id,
    deviceId: r.device_id,
    citizenId: r.citizen_id,
    kind: r.kind as MaintenanceTaskView['kind'],
    openedBy: r.opened_by,
    openedAt: iso(r.opened_at)!,
    lastAlarmAt: iso(r.last_alarm_at)!,
    alarms: r.alarms,
    closedAt: iso(r.closed_at),
    closedBy: r.closed_by,
    closedByAlarm: r.closed_by_alarm,
    note: r.note,
  };
}

export function toMunicipalityView(m: MunicipalityRow): MunicipalityView {
  return {
    id: m.id,
    name: m.name,
    code: m.code,
    answerTargetSeconds: m.answer_target_seconds,
    unresolvedAfterMinutes: m.unresolved_after_minutes,
    dispatchAcceptMinutes: m.dispatch_accept_minutes,
    visitMinutes: m.visit_minutes,
    visitCostDkk: m.visit_cost_dkk,
    nightVisitMinutes: m.night_visit_minutes,
    nightVisitCostDkk: m.night_visit_cost_dkk,
    falseAlarmTargetRate: m.false_alarm_target_rate,
    shareStatistics: m.share_statistics,
    retentionMonths: m.retention_months,
    plannedCallRetryMinutes: m.planned_call_retry_minutes,
    plannedCallRetries: m.planned_call_retries,
    nightCheckRetryMinutes: m.night_check_retry_minutes,
    nightCheckRetries: m.night_check_retries,
    ...triageSettingsOf(m),
  };
}
