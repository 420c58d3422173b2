// What the worker does for data protection, every RETENTION_INTERVAL_MINUTES: pseudonymise the personal
// data of alarms older than their municipality's retention (db/retention.ts), then remove audit rows
// older than AUDIT_RETENTION_MONTHS (never younger than 6 months: db/audit.ts, the table's trigger).
// Short batches, each its own transaction: the live feed serves changes only below the cluster's oldest
// running transaction, so a long writing transaction would hold every console's feed back.
// Safe with any number of workers: a municipality's batch locks its watermark (others skip it), and
// pruning the audit trail twice removes nothing twice.
import { pruneAudit } from '../../db/audit.js';
import type { Db } from '../../db/connect.js';
import { pseudonymiseBatch, retentionSettings } from '../../db/retention.js';

export type RetentionOptions = {
  /** The job's clock (tests move it); the audit trail's six-month floor is judged by the database's own. */
  now?: Date;
  auditRetentionMonths: number;
  /** Alarms per transaction. */
  batchSize?: number;
  /** Batches per municipality per round: a round stays bounded, a backlog drains over rounds. */
  maxBatches?: number;
};

export type RetentionResult = { alarms: number; dispatches: number; auditRows: number; busy: string[] };

/** The instant `months` calendar months before `now` (UTC calendar; a day's difference is immaterial here). */
export function monthsBefore(now: Date, months: number): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
}

export async function applyRetention(db: Db, opts: RetentionOptions): Promise<RetentionResult> {
  const now = opts.now ?? new Date();
  const batchSize = opts.batchSize ?? 500;
  const maxBatches = opts.maxBatches ?? 20;
  const result: RetentionResult = { alarms: 0, dispatches: 0, auditRows: 0, busy: [] };
  for (const m of await retentionSettings(db)) {
    const cutoff = monthsBefore(now, m.retentionMonths);
    for (let i = 0; i < maxBatches; i++) {
      const r = await pseudonymiseBatch(db, m.id, cutoff, batchSize);
      if (r.busy) {
        result.busy.push(m.id);
        break;
      }
      result.alarms += r.alarms;
      result.dispatches += r.dispatches;
      if (r.alarms < batchSize) break;
    }
  }
  for (let i = 0; i < maxBatches; i++) {
    const n = await pruneAudit(db, opts.auditRetentionMonths, batchSize * 10);
    result.auditRows += n;
    if (n < batchSize * 10) break;
  }
  return result;
}
