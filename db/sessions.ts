// Console sessions: a random token given to the user once, stored only as its SHA-256.
// Every lookup joins users, so an edited role or scope applies at the next request; a disabled user,
// an expired or an idle session is as good as none. Ending a session is deleting its row, which
// Postgres announces to every console (migrations/0010: NOTIFY responscenter_sessions).
import { sql } from 'kysely';
import type { Db } from './connect.js';

// Expiry and idleness are judged by the database clock, the same one that wrote the timestamps.
const now = sql<Date>`now()`;

/** The channel Postgres announces ended sessions on (payload: the username). */
export const SESSIONS_ENDED_CHANNEL = 'responscenter_sessions';

/** A session's last sign of use is written at most this often, not on every request. */
const TOUCH_EVERY_SECONDS = 30;

export type SessionUser = {
  username: string;
  role: string;
  municipalities: string[];
  expiresAt: Date;
  /** The session's handle (sessions.id), as the audit trail and the admin's list name it. */
  id?: string;
};

/** The user of this name, disabled or not (a disabled user's login is refused after the same work). */
export async function findUserForLogin(db: Db, username: string) {
  return db
    .selectFrom('users')
    .select(['username', 'password_hash', 'role', 'municipalities', 'disabled'])
    .where('username', '=', username)
    .executeTakeFirst();
}

/** Store a session lasting `hours`; returns when it expires and its id. */
export async function createSession(
  db: Db,
  session: { tokenHash: string; username: string; hours: number; address: string | null },
): Promise<{ expiresAt: Date; id: string }> {
  const row = await db
    .insertInto('sessions')
    .values({
      token_hash: session.tokenHash,
      username: session.username,
      address: session.address,
      expires_at: sql<Date>`now() + make_interval(secs => ${session.hours * 3600})`,
    })
    .returning(['expires_at', 'id'])
    .executeTakeFirstOrThrow();
  return { expiresAt: row.expires_at, id: row.id };
}

/** The conditions of a session still in force: not expired, not idle, its user not disabled. */
const inForce = (idleMinutes: number) => sql<boolean>`s.expires_at > ${now}
  AND s.last_seen_at > ${now} - make_interval(secs => ${idleMinutes * 60})
  AND NOT u.disabled`;

/**
 * The session's user, or undefined when the token is unknown, logged out, expired or idle for longer
 * than `idleMinutes`, or its user is disabled. A use of the session counts as activity (written at most
 * every 30 s).
 */
export async function findSession(db: Db, tokenHash: string, idleMinutes: number): Promise<SessionUser | undefined> {
  const r = await sql<{ id: string; username: string; role: string; municipalities: string[]; expires_at: Date }>`
    WITH found AS (
      SELECT s.id, u.username, u.role, u.municipalities, s.expires_at, s.last_seen_at
      FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.token_hash = ${tokenHash} AND ${inForce(idleMinutes)}
    ), touched AS (
      UPDATE sessions SET last_seen_at = ${now}
      WHERE token_hash = ${tokenHash}
        AND last_seen_at < ${now} - make_interval(secs => ${TOUCH_EVERY_SECONDS})
        AND EXISTS (SELECT 1 FROM found)
    )
    SELECT id, username, role, municipalities, expires_at FROM found`.execute(db);
  const row = r.rows[0];
  return (
    row && {
      id: row.id,
      username: row.username,
      role: row.role,
      municipalities: row.municipalities,
      expiresAt: row.expires_at,
    }
  );
}

/**
 * The sessions among these tokens still in force, for re-checking open live feeds. An open live feed
 * is activity: the sessions found are marked as used now.
 */
export async function findSessions(
  db: Db,
  tokenHashes: string[],
  idleMinutes: number,
): Promise<Map<string, SessionUser>> {
  if (tokenHashes.length === 0) return new Map();
  const r = await sql<{
    token_hash: string;
    username: string;
    role: string;
    municipalities: string[];
    expires_at: Date;
  }>`
    UPDATE sessions s SET last_seen_at = ${now}
    FROM users u
    WHERE u.username = s.username AND s.token_hash = ANY(${tokenHashes}::text[]) AND ${inForce(idleMinutes)}
    RETURNING s.token_hash, u.username, u.role, u.municipalities, s.expires_at`.execute(db);
  return new Map(
    r.rows.map((row) => [
      row.token_hash,
      { username: row.username, role: row.role, municipalities: row.municipalities, expiresAt: row.expires_at },
    ]),
  );
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** End every session of a user; returns how many there were. */
export async function deleteUserSessions(db: Db, username: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('username', '=', username).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** End one session by its id (the admin's handle on it; never the token); false when there is none. */
export async function deleteSessionById(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export type SessionListing = {
  id: string;
  username: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  address: string | null;
};

/** Sessions in force, newest first, of one user or all; at most `limit`. */
export async function listSessions(
  db: Db,
  f: { username?: string | undefined; idleMinutes: number; limit: number },
): Promise<SessionListing[]> {
  let q = db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.username', 's.username')
    .select(['s.id', 's.username', 's.created_at', 's.last_seen_at', 's.expires_at', 's.address'])
    .where(inForce(f.idleMinutes));
  if (f.username !== undefined) q = q.where('s.username', '=', f.username);
  return q.orderBy('s.created_at', 'desc').limit(f.limit).execute();
}

/** Housekeeping at login: a user's expired or idle sessions are of no use to anyone. */
export async function deleteExpiredSessions(db: Db, username: string, idleMinutes: number): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('username', '=', username)
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', now),
        eb('last_seen_at', '<=', sql<Date>`${now} - make_interval(secs => ${idleMinutes * 60})`),
      ]),
    )
    .execute();
}
