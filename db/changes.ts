// The change log behind the live feed. Every change of an alarm or dispatch appends a row carrying
// the view as it was. Its seq is set by the database at INSERT from the writer's transaction id and
// the row's place in it (migrations/0003): writers take no lock and never wait on each other.
//
// Transactions commit in any order, so a seq is served only once it is below change_horizon(), the seq
// of the oldest transaction still running: every row below it is committed or will never exist. Read
// that way, in seq order, a reader that has seen seq N never later finds a seq below N: rolled-back work
// leaves gaps, a change committed while an older transaction still runs is held back until that one
// ends, and nothing arrives late. Every read of the log (here and db/live-feed.ts) applies the horizon.
import { sql } from 'kysely';
import type { AlarmView, DispatchView } from '../domain/views.js';
import type { Db, Trx } from './connect.js';
import { recordWebhookDeliveries } from './webhook-outbox.js';

export type Change =
  | { kind: 'alarm'; entityId: string; municipality: string; payload: AlarmView }
  | { kind: 'dispatch'; entityId: string; municipality: string; payload: DispatchView };

/**
 * Append changes, in order, to the transaction's writes; their seqs follow that order. A dispatch's
 * change is also put in its municipality's webhook outbox (db/webhook-outbox.ts), in this same
 * transaction: every place that changes a dispatch appends its change here, so none can forget it.
 */
export async function appendChanges(trx: Trx, changes: Change[]): Promise<void> {
  if (changes.length === 0) return;
  await sql`
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT u.kind, u.entity_id, u.municipality_id, u.payload
    FROM unnest(${changes.map((c) => c.kind)}::text[], ${changes.map((c) => c.entityId)}::uuid[],
                ${changes.map((c) => c.municipality)}::text[], ${changes.map((c) => JSON.stringify(c.payload))}::jsonb[])
           WITH ORDINALITY AS u(kind, entity_id, municipality_id, payload, ord)
    ORDER BY u.ord`.execute(trx);
  const dispatches = changes.flatMap((c) => (c.kind === 'dispatch' ? [c.payload] : []));
  if (dispatches.length > 0) await recordWebhookDeliveries(trx, dispatches);
}

/** A committed change: its payload is the view of its kind, as appendChanges stored it. */
export type FeedRow =
  | { seq: number; kind: 'alarm'; municipality: string; payload: AlarmView }
  | { seq: number; kind: 'dispatch'; municipality: string; payload: DispatchView };

/** A row of `changes` as read back; the one place that trusts the stored payload to match its kind. */
export const toFeedRow = (r: {
  seq: number | null;
  kind: 'alarm' | 'dispatch';
  municipality_id: string;
  payload: unknown;
}) => ({ seq: Number(r.seq), kind: r.kind, municipality: r.municipality_id, payload: r.payload }) as FeedRow;

/** A row of `changes` as the feed's queries select it. */
export type ChangeRow = { seq: number; kind: 'alarm' | 'dispatch'; municipality_id: string; payload: unknown };

/**
 * Final changes after `since`, oldest first, at most `limit`; every seq below the highest returned is
 * final. `heldBack`: committed changes exist above the horizon, waiting for an older transaction to
 * end. That transaction announces its commit if it wrote changes; if not (or it rolled back), nobody
 * will, so a reader that was told of held-back rows should look again shortly.
 */
export async function readChangesSince(
  db: Db,
  since: number,
  limit = 1000,
): Promise<{ rows: FeedRow[]; heldBack: boolean }> {
  const res = await sql<ChangeRow & { final: boolean }>`
    SELECT c.seq, c.kind, c.municipality_id, c.payload, c.seq < h.horizon AS final
    FROM changes c, (SELECT change_horizon() AS horizon) h
    WHERE c.seq > ${since}
    ORDER BY c.seq
    LIMIT ${limit}`.execute(db);
  const rows: FeedRow[] = [];
  for (const r of res.rows) {
    if (!r.final) return { rows, heldBack: true };
    rows.push(toFeedRow(r));
  }
  return { rows, heldBack: false };
}

/** The highest final seq (0 for an empty log): every change up to it is committed and will never change. */
export async function currentSeq(db: Db): Promise<number> {
  const r = await sql<{ max: string | null }>`SELECT max(seq) AS max FROM changes WHERE seq < change_horizon()`.execute(
    db,
  );
  return r.rows[0]?.max == null ? 0 : Number(r.rows[0].max);
}
