// The audit trail (audit_events, migrations/0011): written by every audited act, read by administrators.
// Append-only in the database itself; nothing here updates or deletes a row but audit_prune().
import { sql, type Selectable } from 'kysely';
import type { AuditAction, AuditOutcome, AuditPurpose, AuditReason } from '../domain/audit.js';
import type { Db, Trx } from './connect.js';
import type { AuditEventsTable } from './schema.js';

export type AuditEventRow = Selectable<AuditEventsTable>;

/** Who acted and from where: the same for every row one request writes. */
export type AuditActor = {
  actor: string | null;
  role: string | null;
  sessionId: string | null;
  address: string | null;
  requestId: string | null;
};

/** What was done to what, and whether it was allowed. */
export type AuditFact = {
  action: AuditAction;
  outcome: AuditOutcome;
  reason?: AuditReason | null;
  purpose?: AuditPurpose | null;
  municipality?: string | null;
  citizenId?: string | null;
  alarmId?: string | null;
};

export type AuditRecord = AuditActor & AuditFact;

/** Rows per statement: 12 parameters a row, well below Postgres' 65,535. */
const AUDIT_CHUNK = 4000;

/** One statement for all the rows (a board's names are up to 200 reads); a registry's citizens in chunks. */
export async function recordAudit(db: Db | Trx, records: readonly AuditRecord[]): Promise<void> {
  if (records.length === 0) return;
  if (records.length > AUDIT_CHUNK) {
    for (let i = 0; i < records.length; i += AUDIT_CHUNK) await recordAudit(db, records.slice(i, i + AUDIT_CHUNK));
    return;
  }
  await db
    .insertInto('audit_events')
    .values(
      records.map((r) => ({
        actor: r.actor,
        actor_role: r.role,
        session_id: r.sessionId,
        address: r.address,
        request_id: r.requestId,
        action: r.action,
        outcome: r.outcome,
        reason: r.reason ?? null,
        purpose: r.purpose ?? null,
        municipality_id: r.municipality ?? null,
        citizen_id: r.citizenId ?? null,
        alarm_id: r.alarmId ?? null,
      })),
    )
    .execute();
}

export type AuditFilter = {
  /** The municipalities the reader may see (null: all). Rows naming no municipality only for all. */
  scope: readonly string[] | null;
  from?: Date | undefined;
  to?: Date | undefined;
  actor?: string | undefined;
  citizenId?: string | undefined;
  alarmId?: string | undefined;
  action?: AuditAction | undefined;
  outcome?: AuditOutcome | undefined;
  municipality?: string | undefined;
  /** Keyset: rows with a lower id than this (the previous page's last). */
  before?: string | undefined;
};

/** Newest first, at most `limit` rows (ask one more to know whether another page follows). */
export async function listAuditEvents(db: Db, f: AuditFilter, limit: number): Promise<AuditEventRow[]> {
  let q = db.selectFrom('audit_events').selectAll();
  if (f.scope !== null) {
    if (f.scope.length === 0) return [];
    q = q.where('municipality_id', 'in', [...f.scope]);
  }
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.citizenId !== undefined) q = q.where('citizen_id', '=', f.citizenId);
  if (f.alarmId !== undefined) q = q.where('alarm_id', '=', f.alarmId);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome);
  if (f.municipality !== undefined) q = q.where('municipality_id', '=', f.municipality);
  if (f.before !== undefined) q = q.where('id', '<', f.before);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/**
 * Every recorded access to one citizen's data, oldest first: card reads (allowed and refused),
 * decisions on their alarms, planners' progress on their visits, and earlier subject-access prints.
 */
export async function citizenAccessHistory(
  db: Db,
  citizenId: string,
  range: { from?: Date | undefined; to?: Date | undefined },
  limit: number,
): Promise<AuditEventRow[]> {
  let q = db.selectFrom('audit_events').selectAll().where('citizen_id', '=', citizenId);
  if (range.from) q = q.where('at', '>=', range.from);
  if (range.to) q = q.where('at', '<', range.to);
  return q.orderBy('id', 'asc').limit(limit).execute();
}

/**
 * Remove audit rows older than `keepMonths` (at least 6: the function refuses less, and the table's
 * trigger refuses any row younger than 6 months whoever asks), at most `maxRows`; returns how many.
 */
export async function pruneAudit(db: Db, keepMonths: number, maxRows: number): Promise<number> {
  const r = await sql<{ n: number }>`SELECT audit_prune(${keepMonths}::integer, ${maxRows}::integer) AS n`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
