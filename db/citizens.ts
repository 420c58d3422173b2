// Citizens' personal data and the audit of every read of it (who, whom, in which alarm's context, why).
import type { Selectable } from 'kysely';
import type { Db } from './connect.js';
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

export type CitizenRead = { username: string; citizenId: string; alarmId: string | null; purpose: string };

/** Written before the data leaves the server: a read that cannot be audited does not happen. */
export async function recordCitizenRead(db: Db, read: CitizenRead): Promise<void> {
  await db
    .insertInto('citizen_reads')
    .values({ username: read.username, citizen_id: read.citizenId, alarm_id: read.alarmId, purpose: read.purpose })
    .execute();
}
