// Kysely's view of the tables in migrations/. Keep in step with the SQL.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { TriageLearning } from '../domain/triage.js';
import type { TriageReason } from '../domain/triage-reasons.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface MunicipalitiesTable {
  id: string;
  name: string;
  code: string;
  answer_target_seconds: Generated<number>;
  unresolved_after_minutes: Generated<number>;
  dispatch_accept_minutes: Generated<number>;
  visit_minutes: Generated<number>;
  visit_cost_dkk: Generated<number>;
  night_visit_minutes: Generated<number>;
  night_visit_cost_dkk: Generated<number>;
  false_alarm_target_rate: number | null;
  share_statistics: Generated<boolean>;
  /** Months after receipt that an alarm keeps its personal data (migrations/0011). */
  retention_months: Generated<number>;
  /** Triage settings (migrations/0014). */
  incident_window_minutes: Generated<number>;
  cancel_window_seconds: Generated<number>;
  self_closing_types: Generated<string[]>;
  /** Retries of planned calls and night checks (migrations/0015). */
  planned_call_retry_minutes: Generated<number>;
  planned_call_retries: Generated<number>;
  night_check_retry_minutes: Generated<number>;
  night_check_retries: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface GatewaysTable {
  id: string;
  name: string;
  municipalities: string[];
  heartbeat_seconds: number;
  last_heartbeat_at: Date | null;
  /** A disabled gateway's requests are refused and it is not supervised (migrations/0012). */
  disabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A gateway's API keys, only as their SHA-256 (migrations/0012). */
export interface GatewayKeysTable {
  id: Generated<string>;
  gateway_id: string;
  key_hash: string;
  /** 'generated' (by the server) | 'imported' (chosen by an admin in a registry import). */
  origin: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface CitizensTable {
  id: string;
  municipality_id: string;
  name: string;
  address: string;
  phone: string;
  key_safe: string;
  notes: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DevicesTable {
  id: string;
  citizen_id: string | null;
  gateway_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UsersTable {
  username: string;
  password_hash: string;
  role: string;
  municipalities: string[];
  disabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  id: Generated<string>;
  username: string;
  created_at: CreatedAt;
  expires_at: Date;
  last_seen_at: Generated<Date>;
  address: string | null;
}

export interface AlarmsTable {
  id: string;
  gateway_id: string;
  /** The gateway's event id; null for the system's own events, which have system_key instead (migrations/0012). */
  event_id: string | null;
  system_key: Generated<string | null>;
  municipality_id: string;
  device_id: string;
  citizen_id: string | null;
  unknown_device: boolean;
  type: string;
  lane: string;
  occurred_at: Timestamp;
  received_at: Timestamp;
  voice: string | null;
  relates_to: string | null;
  battery_percent: number | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  incident_id: string;
  status: string;
  triage_class: string | null;
  triage_priority: number | null;
  triage_confidence: number | null;
  triage_reasons: string[] | null;
  /** The reasons as keys with parameters (migrations/0014); null before it. */
  triage_reason_keys: ColumnType<TriageReason[] | null, string | null | undefined, string | null>;
  /** What the learning contributed (migrations/0014): null for types that do not learn. */
  triage_learning: ColumnType<TriageLearning | null, string | null | undefined, string | null>;
  triaged_at: Date | null;
  escalated: Generated<boolean>;
  /** The latest escalation (migrations/0006): 'unanswered' | 'unresolved'. */
  escalation_reason: string | null;
  escalated_at: Date | null;
  claimed_by: string | null;
  claimed_at: Date | null;
  outcome: string | null;
  note: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  /** A due item's stored answer deadline, its window's end (migrations/0015); null for alarms. */
  answer_by: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** A planned call's or night check's detailed result (domain/planned.ts). */
  result: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DispatchesTable {
  id: string;
  alarm_id: string;
  municipality_id: string;
  citizen_id: string | null;
  status: string;
  team: string | null;
  requested_by: string;
  requested_at: Timestamp;
  updated_at: Timestamp;
  alarm_type: string | null;
  note: string | null;
  /** Not accepted in time: escalated back to the operators (migrations/0006). */
  escalated_at: Date | null;
  /** 1 when requested, one more with each change (migrations/0005). */
  version: Generated<number>;
  /** The first time the dispatch reached arrived or completed (migrations/0008). */
  arrived_at: Date | null;
}

export interface ChangesTable {
  /** Set at INSERT from the writer's transaction (migrations/0003); served below change_horizon() only. */
  seq: ColumnType<number, never, never>;
  kind: 'alarm' | 'dispatch';
  entity_id: string;
  municipality_id: string;
  payload: ColumnType<unknown, string, never>;
  created_at: CreatedAt;
}

/** Every escalation, once per entity and reason (migrations/0006). */
export interface EscalationsTable {
  id: Generated<string>;
  kind: 'alarm' | 'dispatch';
  entity_id: string;
  municipality_id: string;
  reason: string;
  due_at: Date;
  escalated_at: CreatedAt;
}

export interface WebhooksTable {
  municipality_id: string;
  url: string;
  /** The HMAC key shared with the receiver, as given (signing needs it). */
  secret: string;
  last_delivered_at: Date | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** The webhook outbox: one row per dispatch change and webhook; its id is the delivery id. */
export interface WebhookDeliveriesTable {
  id: string;
  municipality_id: string;
  dispatch_id: string;
  version: number;
  dispatch: ColumnType<unknown, string, never>;
  created_at: CreatedAt;
  relayed_at: Date | null;
  delivered_at: Date | null;
  attempts: Generated<number>;
  last_attempt_at: Date | null;
  first_failed_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

/** Append-only (migrations/0011): inserted, never updated or deleted but by audit_prune(). */
export interface AuditEventsTable {
  id: Generated<string>;
  at: CreatedAt;
  actor: string | null;
  actor_role: string | null;
  session_id: string | null;
  address: string | null;
  request_id: string | null;
  action: string;
  purpose: string | null;
  municipality_id: string | null;
  citizen_id: string | null;
  alarm_id: string | null;
  outcome: string;
  reason: string | null;
}

export interface RetentionProgressTable {
  municipality_id: string;
  received_at: Generated<Date>;
  alarm_id: Generated<string>;
  updated_at: Timestamp;
}

/** A view of audit_events since migrations/0011: the allowed card reads. Read it, never write it. */
export interface CitizenReadsTable {
  id: Generated<string>;
  username: string;
  citizen_id: string;
  alarm_id: string | null;
  purpose: string;
  read_at: CreatedAt;
}

export interface AlarmCorrectionsTable {
  id: Generated<string>;
  alarm_id: string;
  municipality_id: string;
  alarm_received_at: Date;
  previous_outcome: string;
  outcome: string;
  note: string | null;
  corrected_by: string;
  corrected_at: CreatedAt;
}

/** A month's counts (domain/statistics.ts, MonthCounts) as JSON. */
type CountsJson = ColumnType<unknown, string, string>;

export interface StatsMonthsTable {
  municipality_id: string;
  /** The first day of the month. */
  month: ColumnType<string, string, string>;
  counts: CountsJson;
  computed_at: Timestamp;
}

export interface StatsStaleTable {
  municipality_id: string;
  month: ColumnType<string, string, string>;
  xid: ColumnType<string, never, never>;
  marked_at: CreatedAt;
}

export interface StatsReportsTable {
  municipality_id: string;
  month: ColumnType<string, string, string>;
  frozen_at: CreatedAt;
  counts: CountsJson;
  settings: CountsJson;
  /** The month's planned work when frozen (migrations/0016); null for reports frozen before. */
  planned_work: ColumnType<unknown, string | null | undefined, never>;
}

/** Decayed counts of decided outcomes per citizen, municipality and the centre (migrations/0014). */
export interface TriageEvidenceTable {
  scope: 'citizen' | 'municipality' | 'global';
  key: string;
  false_alarm: Generated<number>;
  phone_resolvable: Generated<number>;
  dispatch: Generated<number>;
  updated_at: Date;
  last_visit_at: Date | null;
}

/** What each decided incident contributed to the evidence (migrations/0014). */
export interface TriageDecisionsTable {
  incident_id: string;
  alarm_id: string;
  municipality_id: string;
  citizen_id: string | null;
  learned: boolean;
  outcome: string;
  at: Date;
  decided_at: CreatedAt;
}

/** One unit's technical trouble to repair (migrations/0014). */
export interface MaintenanceTasksTable {
  id: Generated<string>;
  municipality_id: string;
  device_id: string;
  citizen_id: string | null;
  kind: string;
  opened_by: string;
  opened_at: Date;
  last_alarm_at: Date;
  alarms: Generated<number>;
  closed_at: Date | null;
  closed_by: string | null;
  closed_by_alarm: string | null;
  note: string | null;
}

/** Consent to night supervision (migrations/0015). */
export interface CareConsentsTable {
  id: string;
  citizen_id: string;
  given_by: string;
  representative_name: string | null;
  given_at: Timestamp;
  recorded_by: string;
  recorded_at: CreatedAt;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
}

export interface CareSchedulesTable {
  id: string;
  citizen_id: string;
  kind: string;
  times: string[];
  days: number[];
  window_minutes: number;
  /** Local dates 'YYYY-MM-DD': db/planned.ts reads them as text (active_from::text), never as a Date. */
  active_from: ColumnType<string, string, string>;
  active_to: ColumnType<string | null, string | null | undefined, string | null>;
  note: Generated<string>;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface CareOccurrencesTable {
  id: string;
  schedule_id: string;
  municipality_id: string;
  citizen_id: string;
  kind: string;
  due_at: Timestamp;
  window_ends_at: Timestamp;
  status: Generated<string>;
  next_attempt_at: Date | null;
  attempts: Generated<number>;
  answered_at: Date | null;
  result: string | null;
  settled_by: string | null;
  check_in_alarm_id: string | null;
  dispatched: Generated<boolean>;
  settled_at: Date | null;
}

export interface CareAttemptsTable {
  alarm_id: string;
  occurrence_id: string;
  attempt: number;
}

export interface Database {
  care_consents: CareConsentsTable;
  care_schedules: CareSchedulesTable;
  care_occurrences: CareOccurrencesTable;
  care_attempts: CareAttemptsTable;
  municipalities: MunicipalitiesTable;
  gateways: GatewaysTable;
  gateway_keys: GatewayKeysTable;
  citizens: CitizensTable;
  devices: DevicesTable;
  users: UsersTable;
  sessions: SessionsTable;
  alarms: AlarmsTable;
  dispatches: DispatchesTable;
  changes: ChangesTable;
  citizen_reads: CitizenReadsTable;
  audit_events: AuditEventsTable;
  retention_progress: RetentionProgressTable;
  escalations: EscalationsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  alarm_corrections: AlarmCorrectionsTable;
  stats_months: StatsMonthsTable;
  stats_stale: StatsStaleTable;
  stats_reports: StatsReportsTable;
  triage_evidence: TriageEvidenceTable;
  triage_decisions: TriageDecisionsTable;
  maintenance_tasks: MaintenanceTasksTable;
}

export type MaintenanceTaskRow = Selectable<MaintenanceTasksTable>;

export type AlarmRow = Selectable<AlarmsTable>;
export type DispatchRow = Selectable<DispatchesTable>;
export type UserRow = Selectable<UsersTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
