// Municipalities and their service levels (answer target, escalation limits).
import type { Selectable } from 'kysely';
import type { Db } from './connect.js';
import type { MunicipalitiesTable } from './schema.js';

export type MunicipalityRow = Selectable<MunicipalitiesTable>;

/** The municipalities among `ids` (null: all), by name. */
export async function listMunicipalities(db: Db, ids: readonly string[] | null): Promise<MunicipalityRow[]> {
  if (ids !== null && ids.length === 0) return [];
  let q = db.selectFrom('municipalities').selectAll();
  if (ids !== null) q = q.where('id', 'in', [...ids]);
  return q.orderBy('name').orderBy('id').execute();
}
