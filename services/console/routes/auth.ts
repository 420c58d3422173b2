// Logging in (public) and the session's own routes (contract: POST /v1/auth/login).
import { z } from 'zod';
import {
  createSession,
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  findUserForLogin,
} from '../../../db/sessions.js';
import { errorBody } from '../../../domain/views.js';
import { HttpError, rateLimited } from '../../../platform/errors.js';
import { errorFields } from '../../../platform/logger.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { dummyPasswordHash, randomToken, sha256, verifyPassword } from '../../../platform/secrets.js';
import type { AuditFact } from '../../../db/audit.js';
import { scopeOnWire } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { cookieOptions, sessionCookie, sessionOf, toConsoleUser } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { loginRequest, loginResponse, sessionView } from '../schemas.js';

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'wrong username or password');

const tags = ['authentication'];

/** Public: the one console route that takes a password instead of a session. */
export const loginRoutes: HttpPlugin<ConsoleContext> = async (app, { rt, loginThrottle }) => {
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in',
        description:
          'Answers a session token and sets it as the session cookie as well: `__Host-rc_session` (Secure, HttpOnly, SameSite=Strict, Path=/), or `rc_session` without Secure where the console runs with COOKIE_SECURE=false on a loopback address. 401 invalid_credentials for a wrong username or password. After failed logins, further attempts must wait (429 with Retry-After, before the password is checked): the wait doubles with each failure past a free allowance, counted per account (not at addresses where the user logged in before), per address and per account and address, across every console instance.',
        body: loginRequest,
        response: { 200: loginResponse, 400: errorBody, 401: errorBody, 429: errorBody },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      // A failed login records the name tried only when it is a user's: a password typed into the
      // username field by mistake is never stored.
      const attempt = (known: { username: string; role: string } | undefined, fact: AuditFact) =>
        audit(rt.db, { ...actorOf(req), actor: known?.username ?? null, role: known?.role ?? null }, fact);
      const wait = await loginThrottle.waitMs(username, req.ip).catch((err: Error) => {
        // Without Redis the attempt goes ahead: operators must be able to log in during an outage, and
        // argon2 still makes each guess cost. Logged, never silently.
        req.log.warn(errorFields(err), 'login throttle unavailable; attempt not throttled');
        return 0;
      });
      if (wait > 0) {
        await attempt(await findUserForLogin(rt.db, username), {
          action: 'login.throttled',
          outcome: 'refused',
          reason: 'throttled',
        });
        throw rateLimited(`too many failed logins; wait ${Math.ceil(wait / 1000)} s and try again`, wait);
      }
      const user = await findUserForLogin(rt.db, username);
      // An unknown user costs the same argon2 verification as a known one, so timing tells nothing.
      const ok = await verifyPassword(user?.password_hash || (await dummyPasswordHash()), password);
      if (!user || !ok || user.disabled) {
        await attempt(user, {
          action: 'login.failure',
          outcome: 'refused',
          reason: !user ? 'unknown_user' : !ok ? 'bad_password' : 'disabled',
        });
        await loginThrottle
          .failed(username, req.ip)
          .catch((err: Error) => req.log.warn(errorFields(err), 'login throttle unavailable; failure not counted'));
        throw invalidCredentials();
      }
      await loginThrottle
        .succeeded(user.username, req.ip)
        .catch((err: Error) => req.log.warn(errorFields(err), 'login throttle unavailable'));
      await deleteExpiredSessions(rt.db, user.username, rt.config.sessionIdleMinutes);
      const token = randomToken();
      const { expiresAt, id: sessionId } = await createSession(rt.db, {
        tokenHash: sha256(token),
        username: user.username,
        hours: rt.config.sessionHours,
        address: req.ip,
      });
      await audit(
        rt.db,
        { ...actorOf(req), actor: user.username, role: user.role, sessionId },
        { action: 'login.success', outcome: 'allowed' },
      );
      reply.setCookie(sessionCookie(rt.config), token, cookieOptions(rt.config));
      const consoleUser = toConsoleUser(user);
      return {
        token,
        expiresAt: expiresAt.toISOString(),
        user: { username: consoleUser.username, role: consoleUser.role, municipalities: scopeOnWire(consoleUser) },
      };
    },
  );
};

/** Logged in as anyone: end the session, or see who it belongs to. */
export const sessionRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.post(
    '/v1/auth/logout',
    {
      config: { allow: 'authenticated', scope: 'none' },
      schema: {
        tags,
        summary: 'Log out: end this session and clear the cookie',
        description: 'Live feeds opened with this session are closed (1008) at once.',
        security,
        response: { 204: z.null().describe('Logged out'), 401: errorBody },
      },
    },
    async (req, reply) => {
      await deleteSession(rt.db, sessionOf(req).tokenHash);
      await audit(rt.db, actorOf(req), { action: 'logout', outcome: 'allowed' });
      const { maxAge: _maxAge, ...opts } = cookieOptions(rt.config);
      reply.clearCookie(sessionCookie(rt.config), opts);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/logout-all',
    {
      config: { allow: 'authenticated', scope: 'none' },
      schema: {
        tags,
        summary: 'Log out everywhere: end every session of yours, this one included',
        description:
          'For a lost or shared device: every session of the user ends and every live feed opened with one is closed (1008) at once, on every console instance.',
        security,
        response: { 200: z.object({ ended: z.number().int().describe('Sessions ended') }), 401: errorBody },
      },
    },
    async (req, reply) => {
      const ended = await deleteUserSessions(rt.db, sessionOf(req).user.username);
      await audit(rt.db, actorOf(req), { action: 'logout.all', outcome: 'allowed' });
      const { maxAge: _maxAge, ...opts } = cookieOptions(rt.config);
      reply.clearCookie(sessionCookie(rt.config), opts);
      return { ended };
    },
  );

  app.get(
    '/v1/auth/me',
    {
      config: { allow: 'authenticated', scope: 'none' },
      schema: {
        tags,
        summary: 'The logged-in user and when the session expires',
        security,
        response: { 200: sessionView, 401: errorBody },
      },
    },
    async (req) => {
      const s = sessionOf(req);
      return {
        user: { username: s.user.username, role: s.user.role, municipalities: scopeOnWire(s.user) },
        expiresAt: s.expiresAt.toISOString(),
      };
    },
  );
};
