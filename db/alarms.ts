// Alarm reads: one alarm, the console's newest-first list, the alarms still waiting for triage.
import { sql } from 'kysely';
import type { Lane } from '../domain/events.js';
import type { Db } from './connect.js';
import { alarmRow } from './open.js';
import { newestFirstPage, positionAt, type ListPosition } from './paging.js';
import type { AlarmRow } from './schema.js';

export async function findAlarm(db: Db, id: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
}

export type AlarmListFilter = {
  /** null: every municipality; otherwise these (an empty list yields nothing). */
  municipalities: readonly string[] | null;
  status: 'open' | 'resolved' | 'all';
  before?: ListPosition | undefined;
  limit: number;
};

/** Newest first by received_at, then id. Returns up to limit + 1 rows, so the caller knows whether more follow. */
export async function listAlarms(db: Db, f: AlarmListFilter): Promise<(AlarmRow & { position_at: string })[]> {
  if (f.municipalities !== null && f.municipalities.length === 0) return [];
  let q = db.selectFrom('alarms').selectAll().select(positionAt('received_at').as('position_at'));
  if (f.municipalities !== null) q = q.where('municipality_id', 'in', [...f.municipalities]);
  if (f.status === 'open') q = q.where(alarmRow('alarms').isOpen);
  else if (f.status === 'resolved') q = q.where('status', '=', 'resolved');
  return newestFirstPage(q, 'received_at', f.before, f.limit).execute();
}

export type UntriagedAlarm = { id: string; lane: Lane };

/**
 * Alarms stored more than `olderThanSeconds` ago and not triaged yet, oldest first, at most `limit`
 * (table triage_pending, migrations/0017). The age is judged by the database clock, the one that wrote
 * received_at.
 */
export async function listUntriagedAlarms(db: Db, olderThanSeconds: number, limit: number): Promise<UntriagedAlarm[]> {
  const r = await sql<UntriagedAlarm>`
    SELECT a.id, a.lane FROM triage_pending p JOIN alarms a ON a.id = p.alarm_id
    WHERE p.received_at < now() - make_interval(secs => ${olderThanSeconds})
    ORDER BY p.received_at
    LIMIT ${limit}`.execute(db);
  return r.rows;
}
