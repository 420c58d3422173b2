// List cursors: opaque to clients, a (timestamp, id) position inside. The timestamp keeps Postgres'
// microseconds, so rows received within the same millisecond are neither skipped nor repeated.
import type { ListPosition } from '../../db/paging.js';

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);

export const encodeCursor = (p: ListPosition): string => Buffer.from(`${p.at}|${p.id}`).toString('base64url');

export function decodeCursor(cursor: string): ListPosition | null {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !at || !id || !AT.test(at) || !UUID.test(id) || Number.isNaN(Date.parse(at))) return null;
  return { at, id };
}

/** A list's `before` parameter as a position (the query schema has already refused a foreign cursor). */
export const positionBefore = (before: string | undefined): ListPosition | undefined =>
  before === undefined ? undefined : (decodeCursor(before) ?? undefined);

/** The page and its `next` cursor, from a query that fetched one row more than the limit. */
export function page<T extends { id: string; position_at: string }>(
  rows: T[],
  limit: number,
): { rows: T[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null };
  const shown = rows.slice(0, limit);
  const last = shown.at(-1)!;
  return { rows: shown, next: encodeCursor({ at: last.position_at, id: last.id }) };
}
