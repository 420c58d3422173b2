// The change log behind the live feed. Every change of an alarm or dispatch appends a row carrying
// the view as it was; its global seq is assigned at COMMIT by the database (migrations/0001 and 0002: a deferred
// trigger under an advisory lock), so seq order is commit order. A reader that has seen seq N
// therefore sees every seq below N that will ever exist: rolled-back work leaves gaps, never late
// arrivals. Writers append inside their transaction and never hold the lock themselves.
import { sql } from 'kysely';
import type { AlarmView, DispatchView } from '../domain/views.js';
import type { Db, Trx } from './connect.js';

export type Change =
  | { kind: 'alarm'; entityId: string; municipality: string; payload: AlarmView }
  | { kind: 'dispatch'; entityId: string; municipality: string; payload: DispatchView };

/** Append changes, in order, to the transaction's writes. They get their seq when it commits. */
export async function appendChanges(trx: Trx, changes: Change[]): Promise<void> {
  if (changes.length === 0) return;
  await sql`
    INSERT INTO changes (kind, entity_id, municipality_id, payload)
    SELECT u.kind, u.entity_id, u.municipality_id, u.payload
    FROM unnest(${changes.map((c) => c.kind)}::text[], ${changes.map((c) => c.entityId)}::uuid[],
                ${changes.map((c) => c.municipality)}::text[], ${changes.map((c) => JSON.stringify(c.payload))}::jsonb[])
           WITH ORDINALITY AS u(kind, entity_id, municipality_id, payload, ord)
    ORDER BY u.ord`.execute(trx);
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

/** Changes after `since`, oldest first, at most `limit`. Every row below the highest returned is final. */
export async function readChangesSince(db: Db, since: number, limit = 1000): Promise<FeedRow[]> {
  const rows = await db
    .selectFrom('changes')
    .select(['seq', 'kind', 'municipality_id', 'payload'])
    .where('seq', '>', since)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(toFeedRow);
}

/** The highest seq committed so far (0 for an empty log). */
export async function currentSeq(db: Db): Promise<number> {
  const r = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst();
  return r?.max == null ? 0 : Number(r.max);
}
