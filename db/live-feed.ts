// The live feed's catch-up reads: what a console that just connected must be sent before it goes live.
// Both take the user's feed filter (services/console/access.ts) and apply it in SQL.
import { sql, type RawBuilder } from 'kysely';
import { currentSeq, toFeedRow, type FeedRow } from './changes.js';
import type { Db } from './connect.js';
import { alarmIsOpen, dispatchIsOpen } from './open.js';

export type FeedFilter = {
  kinds: readonly ('alarm' | 'dispatch')[];
  /** null: every municipality. */
  municipalities: ReadonlySet<string> | null;
};

const scopeSql = (f: FeedFilter, column: string) =>
  f.municipalities === null
    ? sql<boolean>`true`
    : sql<boolean>`${sql.ref(column)} = ANY(${[...f.municipalities]}::text[])`;

type RawRow = { seq: number; kind: 'alarm' | 'dispatch'; municipality_id: string; payload: unknown };

/** The latest change of every alarm or dispatch (as `e`) that `where` selects. */
const latestChanges = (table: 'alarms' | 'dispatches', where: RawBuilder<boolean>) => sql<RawRow>`
  SELECT c.seq, c.kind, c.municipality_id, c.payload
  FROM ${sql.table(table)} e
  CROSS JOIN LATERAL (
    SELECT seq, kind, municipality_id, payload FROM changes WHERE entity_id = e.id ORDER BY seq DESC LIMIT 1
  ) c
  WHERE ${where}`;

/**
 * The user's open alarms and open dispatches, each as its latest change, in seq order, together with
 * the log's head `seq` they are consistent with. One REPEATABLE READ snapshot, so "open" and "latest"
 * are judged at the same instant as `seq`: nothing committed after it can be half in the answer.
 */
export async function feedSnapshot(db: Db, f: FeedFilter): Promise<{ seq: number; rows: FeedRow[] }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      // The first statement fixes the snapshot.
      const seq = await currentSeq(trx);
      const parts = [];
      if (f.kinds.includes('alarm'))
        parts.push(latestChanges('alarms', sql`${alarmIsOpen('e.status')} AND ${scopeSql(f, 'e.municipality_id')}`));
      if (f.kinds.includes('dispatch'))
        parts.push(
          latestChanges('dispatches', sql`${dispatchIsOpen('e.status')} AND ${scopeSql(f, 'e.municipality_id')}`),
        );
      if (parts.length === 0) return { seq, rows: [] };
      const res = await sql<RawRow>`${sql.join(parts, sql` UNION ALL `)} ORDER BY seq`.execute(trx);
      return { seq, rows: res.rows.map(toFeedRow) };
    });
}

/**
 * Changes with after < seq <= upTo that the filter lets through, oldest first, at most `limit`.
 * No transaction needed: seq order is commit order, so every row up to an already committed head is final.
 */
export async function feedChangesBetween(
  db: Db,
  after: number,
  upTo: number,
  f: FeedFilter,
  limit = 1000,
): Promise<FeedRow[]> {
  if (f.kinds.length === 0) return [];
  const res = await sql<RawRow>`
    SELECT seq, kind, municipality_id, payload FROM changes
    WHERE seq > ${after} AND seq <= ${upTo}
      AND kind = ANY(${[...f.kinds]}::text[]) AND ${scopeSql(f, 'municipality_id')}
    ORDER BY seq
    LIMIT ${limit}`.execute(db);
  return res.rows.map(toFeedRow);
}
