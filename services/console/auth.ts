// Who is asking: a session token from the Authorization header or the session cookie, looked up on
// every request (with the user's current role and scope), or 401.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../platform/config.js';
import type { Role } from '../../domain/roles.js';
import { findSession, type SessionUser } from '../../db/sessions.js';
import type { Db } from '../../db/connect.js';
import { unauthorized } from '../../platform/errors.js';
import { sha256 } from '../../platform/secrets.js';
import { scopeFromStore, type ConsoleUser } from './access.js';

/**
 * The session cookie's name. `__Host-` makes a browser keep it only when it came Secure, from this very
 * host, for Path=/ and without Domain: no sibling subdomain or plain-HTTP page can set or overwrite it.
 * With COOKIE_SECURE=false (plain HTTP on this machine only) it cannot carry that prefix.
 */
export const SECURE_SESSION_COOKIE = '__Host-rc_session';
export const PLAIN_SESSION_COOKIE = 'rc_session';
export const sessionCookie = (config: Pick<Config, 'cookieSecure'>): string =>
  config.cookieSecure ? SECURE_SESSION_COOKIE : PLAIN_SESSION_COOKIE;

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

/** Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain (as `__Host-` demands). */
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

/** The bearer token if one is sent (it wins), else the cookie named `cookieName`. */
export function presentedToken(
  req: AuthRequest,
  cookieName: string,
): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? { token: m[1]!, via: 'bearer' } : null;
  }
  const cookie = req.cookies?.[cookieName];
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/** An onRequest hook: sets req.consoleSession or answers 401, before any body is read. */
export function authenticator(db: Db, config: Pick<Config, 'sessionIdleMinutes' | 'cookieSecure'>) {
  const cookieName = sessionCookie(config);
  return async function authenticate(req: AuthRequest): Promise<void> {
    const presented = presentedToken(req, cookieName);
    if (!presented) throw unauthorized(`log in first: send Authorization: Bearer <token> or the ${cookieName} cookie`);
    const tokenHash = sha256(presented.token);
    const found = await findSession(db, tokenHash, config.sessionIdleMinutes);
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
