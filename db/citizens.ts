// Citizens' personal data. Every read of it is audited by the caller (db/audit.ts, services/console/citizen-cards.ts).
import { sql, type Selectable } from 'kysely';
import type { Db, Trx } from './connect.js';
import { dispatchIsOpen } from './open.js';
import type { CitizensTable } from './schema.js';

export type CitizenRow = Selectable<CitizensTable>;

export async function findCitizen(db: Db, id: string): Promise<CitizenRow | undefined> {
  return db.selectFrom('citizens').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Whether an open dispatch (OPEN_DISPATCH_STATUSES) for this citizen exists in one of these
 * municipalities (null: any): a planner needs the address and key safe for a visit, not afterwards.
 */
export async function citizenHasDispatchIn(
  db: Db,
  citizenId: string,
  municipalities: readonly string[] | null,
): Promise<boolean> {
  if (municipalities !== null && municipalities.length === 0) return false;
  let q = db.selectFrom('dispatches').select('id').where('citizen_id', '=', citizenId).where(dispatchIsOpen('status'));
  if (municipalities !== null) q = q.where('municipality_id', 'in', [...municipalities]);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/** Name and address of the citizens among `ids` in these municipalities (null: any). */
export async function findCitizenNames(
  db: Db,
  ids: readonly string[],
  municipalities: readonly string[] | null,
): Promise<Pick<CitizenRow, 'id' | 'municipality_id' | 'name' | 'address'>[]> {
  if (ids.length === 0 || (municipalities !== null && municipalities.length === 0)) return [];
  let q = db
    .selectFrom('citizens')
    .select(['id', 'municipality_id', 'name', 'address'])
    .where('id', 'in', [...ids]);
  if (municipalities !== null) q = q.where('municipality_id', 'in', [...municipalities]);
  return q.orderBy('id').execute();
}

/** The municipality of each of the citizens among `ids` that exist, by id. */
export async function municipalitiesOf(db: Db | Trx, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('citizens')
    .select(['id', 'municipality_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((c) => [c.id, c.municipality_id]));
}

/** Of the citizens among `ids`, those with an open dispatch in these municipalities (null: any). */
export async function citizensWithDispatchIn(
  db: Db,
  ids: readonly string[],
  municipalities: readonly string[] | null,
): Promise<string[]> {
  if (ids.length === 0 || (municipalities !== null && municipalities.length === 0)) return [];
  let q = db
    .selectFrom('dispatches')
    .select('citizen_id')
    .distinct()
    .where('citizen_id', 'in', [...ids])
    .where(dispatchIsOpen('status'));
  if (municipalities !== null) q = q.where('municipality_id', 'in', [...municipalities]);
  return (await q.execute()).map((r) => r.citizen_id!);
}

/** The citizen's alarms received in the last `days` days, newest first, at most `limit` (alarms_citizen_received). */
export async function recentAlarmsOf(db: Db, citizenId: string, days: number, limit: number) {
  return db
    .selectFrom('alarms')
    .select(['id', 'type', 'received_at', 'status', 'triage_class', 'outcome'])
    .where('citizen_id', '=', citizenId)
    .where('received_at', '>', sql<Date>`now() - make_interval(days => ${days})`)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}
