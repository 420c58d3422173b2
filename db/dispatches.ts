// Dispatches as home-care planners and operators see and move them.
import { sql } from 'kysely';
import { dispatchTransition, isFinalDispatchStatus } from '../domain/dispatch.js';
import type { DispatchStatus } from '../domain/views.js';
import type { Decision } from './decisions.js';
import { appendChanges } from './changes.js';
import type { Db } from './connect.js';
import { newestFirstPage, positionAt, type ListPosition } from './paging.js';
import type { DispatchRow } from './schema.js';
import { toDispatchView } from './views.js';

export type DispatchListFilter = {
  /** null: every municipality; otherwise these (an empty list yields nothing). */
  municipalities: readonly string[] | null;
  /** null: every status. */
  statuses: readonly DispatchStatus[] | null;
  before?: ListPosition | undefined;
  limit: number;
};

/** Newest first by requested_at, then id; up to limit + 1 rows. */
export async function listDispatches(
  db: Db,
  f: DispatchListFilter,
): Promise<(DispatchRow & { position_at: string })[]> {
  if (f.municipalities !== null && f.municipalities.length === 0) return [];
  let q = db.selectFrom('dispatches').selectAll().select(positionAt('requested_at').as('position_at'));
  if (f.municipalities !== null) q = q.where('municipality_id', 'in', [...f.municipalities]);
  if (f.statuses !== null) q = q.where('status', 'in', [...f.statuses]);
  return newestFirstPage(q, 'requested_at', f.before, f.limit).execute();
}

export async function findDispatch(db: Db, id: string): Promise<DispatchRow | undefined> {
  return db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * For statistics (dispatch to arrival): the first time a dispatch reaches `arrived`, or `completed` without
 * an arrival reported (then the completion is the latest the arrival can have been); kept once set.
 */
const arrivalAt = (to: DispatchStatus) =>
  sql<Date | null>`COALESCE(arrived_at, CASE WHEN ${to}::text IN ('arrived', 'completed') THEN now() END)`;

/**
 * Move a dispatch to `status` (see dispatchTransition), and set the team when given (null clears it).
 * The row is locked while the move is judged, so two concurrent updates are judged one after the other.
 */
export async function updateDispatchStatus(
  db: Db,
  id: string,
  update: { status: DispatchStatus; team?: string | null | undefined },
): Promise<Decision<DispatchRow>> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('dispatches').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) return { outcome: 'missing' };
    const from = current.status as DispatchStatus;
    const transition = dispatchTransition(from, update.status);
    const team = update.team === undefined ? current.team : update.team;
    if (transition === 'refused') return { outcome: 'conflict', value: current };
    if (transition === 'same' && team === current.team) return { outcome: 'unchanged', value: current };
    if (transition === 'same' && isFinalDispatchStatus(from)) return { outcome: 'conflict', value: current };
    const row = await trx
      .updateTable('dispatches')
      .set({
        status: update.status,
        team,
        updated_at: sql<Date>`now()`,
        version: sql<number>`version + 1`,
        arrived_at: arrivalAt(update.status),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendChanges(trx, [
      { kind: 'dispatch', entityId: row.id, municipality: row.municipality_id, payload: toDispatchView(row) },
    ]);
    return { outcome: 'changed', value: row };
  });
}
