// Who is asking: a session token from the Authorization header or the rc_session cookie, looked up
// on every request (with the user's current role and scope), or 401.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../platform/config.js';
import type { Role } from '../../domain/roles.js';
import { findSession, type SessionUser } from '../../db/sessions.js';
import type { Db } from '../../db/connect.js';
import { unauthorized } from '../../platform/errors.js';
import { sha256 } from '../../platform/secrets.js';
import { scopeFromStore, type ConsoleUser } from './access.js';

export const SESSION_COOKIE = 'rc_session';

export type Session = {
  user: ConsoleUser;
  tokenHash: string;
  expiresAt: Date;
  via: 'bearer' | 'cookie';
  /** sessions.id, for the audit trail. */
  id?: string | undefined;
};

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
  }
}

/** What authentication reads from a request; any route's request fits, whatever its schema. */
export type AuthRequest = Pick<FastifyRequest, 'headers' | 'cookies'> & { consoleSession?: Session | undefined };

export const cookieOptions = (config: Config): CookieSerializeOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  path: '/',
  secure: config.cookieSecure,
  maxAge: Math.round(config.sessionHours * 3600),
});

export const toConsoleUser = (s: Pick<SessionUser, 'username' | 'role' | 'municipalities'>): ConsoleUser => ({
  username: s.username,
  role: s.role as Role,
  municipalities: scopeFromStore(s.municipalities),
});

/** The bearer token if one is sent (it wins), else the cookie. */
export function presentedToken(req: AuthRequest): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? { token: m[1]!, via: 'bearer' } : null;
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/** An onRequest hook: sets req.consoleSession or answers 401, before any body is read. */
export function authenticator(db: Db, idleMinutes: number) {
  return async function authenticate(req: AuthRequest): Promise<void> {
    const presented = presentedToken(req);
    if (!presented) throw unauthorized('log in first: send Authorization: Bearer <token> or the rc_session cookie');
    const tokenHash = sha256(presented.token);
    const found = await findSession(db, tokenHash, idleMinutes);
    if (!found) throw unauthorized('the session is unknown, logged out, ended, idle too long or expired: log in again');
    req.consoleSession = {
      user: toConsoleUser(found),
      tokenHash,
      expiresAt: found.expiresAt,
      via: presented.via,
      id: found.id,
    };
  };
}

/** The authenticated session of a request that passed `authenticate`. */
export function sessionOf(req: AuthRequest): Session {
  if (!req.consoleSession) throw unauthorized();
  return req.consoleSession;
}

export const userOf = (req: AuthRequest): ConsoleUser => sessionOf(req).user;
