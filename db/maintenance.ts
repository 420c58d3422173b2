// Maintenance tasks (migrations/0014): one open task per unit, municipality and kind, opened and counted
// by technical alarms in their triage's transaction, closed by the matching restore or by hand.
import { sql } from 'kysely';
import type { EventType } from '../domain/events.js';
import { maintenanceKindOf, restoresKind, type MaintenanceKind } from '../domain/maintenance.js';
import type { Db, Trx } from './connect.js';
import type { AlarmRow, MaintenanceTaskRow } from './schema.js';

type Opening = {
  municipality: string;
  device: string;
  citizen: string | null;
  kind: MaintenanceKind;
  alarm: string;
  first: Date;
  last: Date;
  count: number;
};

/**
 * The tasks that newly triaged alarms open, add to or close, in the triage's transaction (after their
 * advice is stored). A mains failure whose restore was already triaged opens nothing; a restore closes
 * its unit's open mains-failure task. Called once per alarm (triage leaves a triaged alarm alone), so an
 * alarm is counted once.
 */
export async function keepMaintenanceTasks(trx: Trx, alarms: readonly AlarmRow[]): Promise<void> {
  const openings = new Map<string, Opening>();
  const restores: AlarmRow[] = [];
  for (const a of alarms) {
    const type = a.type as EventType;
    if (restoresKind(type)) restores.push(a);
    const kind = maintenanceKindOf(type);
    if (!kind) continue;
    const at = new Date(a.received_at);
    const key = `${a.municipality_id}\u0000${a.device_id}\u0000${kind}`;
    const o = openings.get(key);
    if (!o)
      openings.set(key, {
        municipality: a.municipality_id,
        device: a.device_id,
        citizen: a.citizen_id,
        kind,
        alarm: a.id,
        first: at,
        last: at,
        count: 1,
      });
    else {
      o.count++;
      if (at < o.first) [o.first, o.alarm] = [at, a.id];
      if (at > o.last) o.last = at;
    }
  }
  const open = [...openings.values()].sort((a, b) =>
    `${a.municipality}\u0000${a.device}\u0000${a.kind}` < `${b.municipality}\u0000${b.device}\u0000${b.kind}` ? -1 : 1,
  );
  if (open.length > 0) {
    const col = <T>(f: (o: Opening) => T) => open.map(f);
    await sql`
      INSERT INTO maintenance_tasks AS t (municipality_id, device_id, citizen_id, kind, opened_by, opened_at, last_alarm_at, alarms)
      SELECT v.m, v.d, v.c, v.k, v.a, v.f, v.l, v.n
      FROM unnest(${col((o) => o.municipality)}::text[], ${col((o) => o.device)}::text[], ${col((o) => o.citizen)}::text[],
                  ${col((o) => o.kind)}::text[], ${col((o) => o.alarm)}::uuid[], ${col((o) => o.first)}::timestamptz[],
                  ${col((o) => o.last)}::timestamptz[], ${col((o) => o.count)}::int[]) AS v(m, d, c, k, a, f, l, n)
      WHERE NOT (v.k = 'mains_failure' AND EXISTS (
        SELECT 1 FROM alarms r
        WHERE r.device_id = v.d AND r.type = 'mains_restored' AND r.received_at >= v.l AND r.triaged_at IS NOT NULL))
      ON CONFLICT (municipality_id, device_id, kind) WHERE closed_at IS NULL
      DO UPDATE SET alarms = t.alarms + EXCLUDED.alarms, last_alarm_at = GREATEST(t.last_alarm_at, EXCLUDED.last_alarm_at)`.execute(
      trx,
    );
  }
  if (restores.length > 0) {
    await sql`
      UPDATE maintenance_tasks t SET closed_at = now(), closed_by = 'restore', closed_by_alarm = v.a
      FROM unnest(${restores.map((r) => r.municipality_id)}::text[], ${restores.map((r) => r.device_id)}::text[],
                  ${restores.map((r) => r.id)}::uuid[]) AS v(m, d, a)
      WHERE t.closed_at IS NULL AND t.kind = 'mains_failure' AND t.municipality_id = v.m AND t.device_id = v.d`.execute(
      trx,
    );
  }
}

/** Close the heartbeat tasks of gateways heard from since the task opened. Returns how many. */
export async function closeHeardHeartbeatTasks(db: Db): Promise<number> {
  const r = await sql`
    UPDATE maintenance_tasks t SET closed_at = now(), closed_by = 'restore'
    FROM gateways g
    WHERE t.closed_at IS NULL AND t.kind = 'heartbeat_missed' AND g.id = t.device_id
      AND g.last_heartbeat_at > t.opened_at`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

export type TaskStatus = 'open' | 'closed' | 'all';

/** Tasks of the municipalities in `scope` (null: all), newest first, at most `limit`. */
export async function listMaintenanceTasks(
  db: Db,
  scope: readonly string[] | null,
  status: TaskStatus,
  limit: number,
): Promise<MaintenanceTaskRow[]> {
  if (scope !== null && scope.length === 0) return [];
  let q = db.selectFrom('maintenance_tasks').selectAll();
  if (scope !== null) q = q.where('municipality_id', 'in', [...scope]);
  if (status === 'open') q = q.where('closed_at', 'is', null);
  if (status === 'closed') q = q.where('closed_at', 'is not', null);
  return q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export const findMaintenanceTask = (db: Db, id: string) =>
  db.selectFrom('maintenance_tasks').selectAll().where('id', '=', id).executeTakeFirst();

/** Close a task by hand; null when it was not open (already closed, or missing). */
export async function closeMaintenanceTask(
  db: Db,
  id: string,
  username: string,
  note: string | null,
): Promise<MaintenanceTaskRow | null> {
  return (
    (await db
      .updateTable('maintenance_tasks')
      .set({ closed_at: sql<Date>`now()`, closed_by: username, note })
      .where('id', '=', id)
      .where('closed_at', 'is', null)
      .returningAll()
      .executeTakeFirst()) ?? null
  );
}
