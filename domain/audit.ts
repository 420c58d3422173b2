// The audit trail's closed lists and its wire shape. An audit row holds ids and these words only, never
// free text a person typed, so the trail itself carries no personal data beyond the ids it must name.
// The same lists are the CHECK constraints of migrations/0011_audit_and_retention.sql.
import { z } from 'zod';

/** What was done. */
export const AUDIT_ACTIONS = [
  /** A citizen's card (name, address, phone, key safe, care notes) read; `purpose` says in which context. */
  'card.read',
  /** A citizen's name and address read for a board's row (GET /v1/citizens?ids=). */
  'card.read.board',
  'alarm.claim',
  'alarm.resolve',
  /** A decision corrected after the fact. */
  'alarm.correct',
  /** A planner's progress on a dispatch (status, team). */
  'dispatch.update',
  /** The registry imported (HTTP or command line): citizens, users, gateways, municipalities. */
  'registry.import',
  /** A citizen's data written by a registry import (one row per citizen in it). */
  'registry.citizen',
  'login.success',
  'login.failure',
  /** A login refused before the password was checked: too many failures. */
  'login.throttled',
  'logout',
  'logout.all',
  /** An administrator listed console sessions. */
  'sessions.list',
  /** An administrator ended sessions. */
  'sessions.revoke',
  /** An administrator registered or replaced a municipality's webhook (where dispatches, with addresses' ids, go). */
  'admin.webhook.set',
  'admin.webhook.delete',
  /** An administrator read or exported the audit trail. */
  'audit.query',
  /** An administrator read a citizen's access history (a subject-access request). */
  'audit.access_history',
  /** An administrator changed a municipality's triage settings. */
  'admin.triage_settings',
  /** Gateways' keys generated or revoked, a gateway disabled or enabled (administrators of every municipality). */
  'admin.gateway.key.create',
  'admin.gateway.key.revoke',
  'admin.gateway.disable',
  'admin.gateway.enable',
  /** A citizen's planned calls or night checks scheduled, changed or removed. */
  'schedule.set',
  'schedule.delete',
  /** Consent to night supervision recorded or withdrawn. */
  'consent.record',
  'consent.withdraw',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Why a card was read. */
export const AUDIT_PURPOSES = ['alarm_handling', 'citizen_card', 'dispatch_planning', 'board'] as const;
export type AuditPurpose = (typeof AUDIT_PURPOSES)[number];

export const AUDIT_OUTCOMES = ['allowed', 'refused'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Why something was refused. */
export const AUDIT_REASONS = [
  /** The role may not do this (403). */
  'role',
  /** The target lies outside the user's municipalities (answered 404, as if it did not exist). */
  'scope',
  /** The target does not exist (404). */
  'not_found',
  /** Held by someone else, already final, or a step back (409). */
  'conflict',
  /** The input was refused (400). */
  'invalid',
  /** Login: a known user, a wrong password. */
  'bad_password',
  /** Login: no such user (the name tried is not recorded). */
  'unknown_user',
  /** Login: the user is disabled. */
  'disabled',
  /** Login: too many failures; the password was not checked. */
  'throttled',
] as const;
export type AuditReason = (typeof AUDIT_REASONS)[number];

/** The audit trail's minimum retention: no audit row younger than this is ever removed. */
export const AUDIT_MIN_RETENTION_MONTHS = 6;

/** One audit row as the admin's query answers it. */
export const auditEventView = z.object({
  id: z.string().describe('Increasing; the cursor of the next page is the last id seen'),
  at: z.string().describe('When (the database clock), ISO 8601 UTC'),
  actor: z
    .string()
    .nullable()
    .describe('The username; null for a failed login naming no known user, and the command line'),
  actorRole: z.string().nullable(),
  sessionId: z.string().nullable().describe('The console session (as in GET /v1/admin/sessions)'),
  address: z.string().nullable().describe('The client address (TRUST_PROXY decides which)'),
  requestId: z.string().nullable().describe("The server's request id (reqId in its log)"),
  action: z.enum(AUDIT_ACTIONS),
  purpose: z.enum(AUDIT_PURPOSES).nullable(),
  municipality: z.string().nullable(),
  citizenId: z.string().nullable(),
  alarmId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  reason: z.enum(AUDIT_REASONS).nullable(),
});
export type AuditEventView = z.infer<typeof auditEventView>;
