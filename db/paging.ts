// Keyset paging for the console's newest-first lists: a page ends at a (timestamp, id) position, and
// the next page starts strictly below it, so rows arriving meanwhile neither shift nor repeat a page.
import { sql, type SelectQueryBuilder } from 'kysely';

/** A position in a newest-first list: the row's timestamp at full (microsecond) precision and its id. */
export type ListPosition = { at: string; id: string };

/** Timestamps at the database's own precision, so a cursor never skips rows within one millisecond. */
export const positionAt = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * One page of `q`, newest first by (`column`, id): the rows strictly below `before` (all rows without it),
 * up to limit + 1 of them, so the caller knows whether more follow.
 */
export function newestFirstPage<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  column: string,
  before: ListPosition | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  if (before) q = q.where(sql<boolean>`(${sql.ref(column)}, id) < (${before.at}::timestamptz, ${before.id}::uuid)`);
  return q
    .orderBy(sql.ref(column), 'desc')
    .orderBy(sql.ref('id'), 'desc')
    .limit(limit + 1);
}
