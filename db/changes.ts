// The change log behind the live feed. Every change of an alarm or dispatch appends a row carrying
// the view as it was, under a global seq.
//
// Commit order = seq order: the seq range is taken under a transaction-scoped advisory lock that is
// held until commit, so no transaction can take a higher seq and commit before a lower one. A reader
// that sees seq N therefore sees every seq below N that will ever exist (rolled-back ranges leave gaps,
// never late arrivals). Callers append as the last statement before COMMIT to keep the lock short.
import { sql, type Transaction } from 'kysely';
import type { AlarmView, DispatchView } from '../services/domain/views.js';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/** Arbitrary constant: the advisory lock key serialising appends to the change log. */
const CHANGE_LOCK = 72_530_002;

export type Change =
  | { kind: 'alarm'; entityId: string; municipality: string; payload: AlarmView }
  | { kind: 'dispatch'; entityId: string; municipality: string; payload: DispatchView };

export type StoredChange = Change & { seq: number };

/** Append changes in the given order; returns them with their seqs. Must run inside a transaction. */
export async function appendChanges(trx: Transaction<Database>, changes: Change[]): Promise<StoredChange[]> {
  if (changes.length === 0) return [];
  const n = changes.length;
  const res = await sql<{ seq: number }>`
    WITH lock AS (SELECT pg_advisory_xact_lock(${CHANGE_LOCK})),
         range AS (SELECT setval('change_seq', nextval('change_seq') + ${n} - 1) AS last FROM lock)
    INSERT INTO changes (seq, kind, entity_id, municipality_id, payload)
    SELECT range.last - ${n} + u.ord, u.kind, u.entity_id, u.municipality_id, u.payload
    FROM range,
         unnest(${changes.map((c) => c.kind)}::text[], ${changes.map((c) => c.entityId)}::uuid[],
                ${changes.map((c) => c.municipality)}::text[], ${changes.map((c) => JSON.stringify(c.payload))}::jsonb[])
           WITH ORDINALITY AS u(kind, entity_id, municipality_id, payload, ord)
    RETURNING seq`.execute(trx);
  const seqs = res.rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  return changes.map((c, i) => ({ ...c, seq: seqs[i]! }));
}

export type FeedRow = {
  seq: number;
  kind: 'alarm' | 'dispatch';
  municipality: string;
  payload: AlarmView | DispatchView;
};

/** Changes after `since`, oldest first, at most `limit`. Every row below the highest returned is final. */
export async function readChangesSince(db: Db, since: number, limit = 1000): Promise<FeedRow[]> {
  const rows = await db
    .selectFrom('changes')
    .select(['seq', 'kind', 'municipality_id', 'payload'])
    .where('seq', '>', String(since))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    kind: r.kind,
    municipality: r.municipality_id,
    payload: r.payload as AlarmView | DispatchView,
  }));
}

/** The highest seq committed so far (0 for an empty log). */
export async function currentSeq(db: Db): Promise<number> {
  const r = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('seq').as('max'))
    .executeTakeFirst();
  return r?.max == null ? 0 : Number(r.max);
}
