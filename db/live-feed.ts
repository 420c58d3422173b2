// The live feed's catch-up reads: what a console that just connected must be sent before it goes live.
// Both take the user's feed filter (services/console/access.ts) and apply it in SQL.
import { sql, type RawBuilder } from 'kysely';
import { currentSeq, toFeedRow, type ChangeRow, type FeedRow } from './changes.js';
import type { Db } from './connect.js';
import { alarmIsOpen, alarmRow, dispatchIsOpen } from './open.js';

export type FeedFilter = {
  kinds: readonly ('alarm' | 'dispatch')[];
  /** null: every municipality. */
  municipalities: ReadonlySet<string> | null;
};

const scopeSql = (f: FeedFilter, column: string) =>
  f.municipalities === null
    ? sql<boolean>`true`
    : sql<boolean>`${sql.ref(column)} = ANY(${[...f.municipalities]}::text[])`;

/**
 * Every alarm or dispatch of `kind` open at `head`, as its latest change up to `head`. The candidates
 * are the entities open now (`openNow`, which the partial indexes serve) and those changed after
 * `head` (closed since, or new): for each, its latest change up to `head` decides whether it was open
 * then, by the status in the change's view.
 */
const openAtHead = (
  kind: 'alarm' | 'dispatch',
  head: number,
  openNow: RawBuilder<unknown>,
  openInView: RawBuilder<boolean>,
  f: FeedFilter,
) => sql<ChangeRow>`
  SELECT c.seq, c.kind, c.municipality_id, c.payload
  FROM (${openNow} UNION SELECT entity_id FROM changes WHERE seq > ${head} AND kind = ${kind}) e(id)
  CROSS JOIN LATERAL (
    SELECT seq, kind, municipality_id, payload FROM changes
    WHERE entity_id = e.id AND seq <= ${head} ORDER BY seq DESC LIMIT 1
  ) c
  WHERE ${openInView} AND ${scopeSql(f, 'c.municipality_id')}`;

/**
 * The user's open alarms and open dispatches, each as its latest change, in seq order, together with
 * the log's head `seq` they are consistent with: exactly what was open once every change up to `seq`,
 * and none after it, had happened. Changes above `seq` (committed or not) come after, from the live
 * feed. One REPEATABLE READ snapshot, so the head and the rows are read at the same instant.
 */
export async function feedSnapshot(db: Db, f: FeedFilter): Promise<{ seq: number; rows: FeedRow[] }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      // The first statement fixes the snapshot.
      const seq = await currentSeq(trx);
      const status = sql`c.payload->>'status'`;
      const parts = [];
      if (f.kinds.includes('alarm')) {
        const openNow = sql`SELECT id FROM alarms a WHERE ${alarmRow('a').isOpen} AND ${scopeSql(f, 'a.municipality_id')}`;
        parts.push(openAtHead('alarm', seq, openNow, alarmIsOpen(status), f));
      }
      if (f.kinds.includes('dispatch')) {
        const openNow = sql`SELECT id FROM dispatches d WHERE ${dispatchIsOpen('d.status')} AND ${scopeSql(f, 'd.municipality_id')}`;
        parts.push(openAtHead('dispatch', seq, openNow, dispatchIsOpen(status), f));
      }
      if (parts.length === 0) return { seq, rows: [] };
      const res = await sql<ChangeRow>`${sql.join(parts, sql` UNION ALL `)} ORDER BY seq`.execute(trx);
      return { seq, rows: res.rows.map(toFeedRow) };
    });
}

/**
 * Changes with after < seq <= upTo that the filter lets through, oldest first, at most `limit`.
 * `upTo` must be final (currentSeq): every row up to it is then committed, so no transaction is needed.
 */
export async function feedChangesBetween(
  db: Db,
  after: number,
  upTo: number,
  f: FeedFilter,
  limit = 1000,
): Promise<FeedRow[]> {
  if (f.kinds.length === 0) return [];
  const res = await sql<ChangeRow>`
    SELECT seq, kind, municipality_id, payload FROM changes
    WHERE seq > ${after} AND seq <= ${upTo}
      AND kind = ANY(${[...f.kinds]}::text[]) AND ${scopeSql(f, 'municipality_id')}
    ORDER BY seq
    LIMIT ${limit}`.execute(db);
  return res.rows.map(toFeedRow);
}
