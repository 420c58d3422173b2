// Console sessions: a random token given to the user once, stored only as its SHA-256.
// Every lookup joins users, so an edited role or scope applies at the next request.
import { sql } from 'kysely';
import type { Db } from './connect.js';

// Expiry is judged by the database clock, the same one that wrote expires_at's neighbours.
const now = sql<Date>`now()`;

export type SessionUser = { username: string; role: string; municipalities: string[]; expiresAt: Date };

export async function findUserForLogin(db: Db, username: string) {
  return db
    .selectFrom('users')
    .select(['username', 'password_hash', 'role', 'municipalities'])
    .where('username', '=', username)
    .executeTakeFirst();
}

/** Store a session lasting `hours`; returns when it expires. */
export async function createSession(db: Db, tokenHash: string, username: string, hours: number): Promise<Date> {
  const row = await db
    .insertInto('sessions')
    .values({ token_hash: tokenHash, username, expires_at: sql<Date>`now() + make_interval(secs => ${hours * 3600})` })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/** The session's user, or undefined when the token is unknown, logged out or expired. */
export async function findSession(db: Db, tokenHash: string): Promise<SessionUser | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.username', 's.username')
    .select(['u.username', 'u.role', 'u.municipalities', 's.expires_at'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  return (
    row && { username: row.username, role: row.role, municipalities: row.municipalities, expiresAt: row.expires_at }
  );
}

/** The still valid sessions among these tokens (for re-checking open live feeds). */
export async function findSessions(db: Db, tokenHashes: string[]): Promise<Map<string, SessionUser>> {
  if (tokenHashes.length === 0) return new Map();
  const rows = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.username', 's.username')
    .select(['s.token_hash', 'u.username', 'u.role', 'u.municipalities', 's.expires_at'])
    .where('s.token_hash', 'in', tokenHashes)
    .where('s.expires_at', '>', now)
    .execute();
  return new Map(
    rows.map((r) => [
      r.token_hash,
      { username: r.username, role: r.role, municipalities: r.municipalities, expiresAt: r.expires_at },
    ]),
  );
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Housekeeping at login: a user's expired sessions are of no use to anyone. */
export async function deleteExpiredSessions(db: Db, username: string): Promise<void> {
  await db.deleteFrom('sessions').where('username', '=', username).where('expires_at', '<=', now).execute();
}
