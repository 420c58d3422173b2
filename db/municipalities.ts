// Municipalities and their service levels (answer target, escalation limits) and triage settings.
import { sql, type Selectable } from 'kysely';
import type { EventType } from '../domain/events.js';
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

/** A municipality's triage settings, as the wire and domain/triage.ts name them. */
export const triageSettingsOf = (m: MunicipalityRow) => ({
  incidentWindowMinutes: m.incident_window_minutes,
  cancelWindowSeconds: m.cancel_window_seconds,
  selfClosingTypes: m.self_closing_types as EventType[],
});

/** Change some of a municipality's triage settings; undefined when there is no such municipality. */
export async function updateTriageSettings(
  db: Db,
  id: string,
  settings: {
    answerTargetSeconds?: number;
    incidentWindowMinutes?: number;
    cancelWindowSeconds?: number;
    selfClosingTypes?: readonly EventType[];
  },
): Promise<MunicipalityRow | undefined> {
  return db
    .updateTable('municipalities')
    .set({
      ...(settings.answerTargetSeconds === undefined ? {} : { answer_target_seconds: settings.answerTargetSeconds }),
      ...(settings.incidentWindowMinutes === undefined
        ? {}
        : { incident_window_minutes: settings.incidentWindowMinutes }),
      ...(settings.cancelWindowSeconds === undefined ? {} : { cancel_window_seconds: settings.cancelWindowSeconds }),
      ...(settings.selfClosingTypes === undefined ? {} : { self_closing_types: [...settings.selfClosingTypes] }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
