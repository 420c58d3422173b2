// Logging in (public) and the session's own routes (contract: POST /v1/auth/login).
import { z } from 'zod';
import { createSession, deleteExpiredSessions, deleteSession, findUserForLogin } from '../../../db/sessions.js';
import { errorBody } from '../../../domain/views.js';
import { HttpError } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { dummyPasswordHash, randomToken, sha256, verifyPassword } from '../../../platform/secrets.js';
import { scopeOnWire } from '../access.js';
import { cookieOptions, SESSION_COOKIE, sessionOf, toConsoleUser } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { loginRequest, loginResponse, sessionView } from '../schemas.js';

/** Password guesses allowed per client address and username per minute (per console instance). */
const LOGIN_ATTEMPTS_PER_MINUTE = 20;

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'wrong username or password');

const tags = ['authentication'];

/** Public: the one console route that takes a password instead of a session. */
export const loginRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.post(
    '/v1/auth/login',
    {
      config: {
        rateLimit: {
          max: LOGIN_ATTEMPTS_PER_MINUTE,
          timeWindow: 60_000,
          keyGenerator: (req) => `${req.ip}|${(req.body as { username?: unknown } | undefined)?.username ?? ''}`,
        },
      },
      schema: {
        tags,
        summary: 'Log in',
        description:
          'Answers a session token and sets it as the HttpOnly cookie rc_session as well. 401 invalid_credentials for a wrong username or password.',
        body: loginRequest,
        response: { 200: loginResponse, 400: errorBody, 401: errorBody, 429: errorBody },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const user = await findUserForLogin(rt.db, username);
      // An unknown user costs the same argon2 verification as a known one, so timing tells nothing.
      const ok = await verifyPassword(user?.password_hash || (await dummyPasswordHash()), password);
      if (!user || !ok) throw invalidCredentials();
      await deleteExpiredSessions(rt.db, user.username);
      const token = randomToken();
      const expiresAt = await createSession(rt.db, sha256(token), user.username, rt.config.sessionHours);
      reply.setCookie(SESSION_COOKIE, token, cookieOptions(rt.config));
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
      config: { allow: 'authenticated' },
      schema: {
        tags,
        summary: 'Log out: end this session and clear the cookie',
        description: 'Live feeds opened with this session are closed (1008) within seconds.',
        security,
        response: { 204: z.null().describe('Logged out'), 401: errorBody },
      },
    },
    async (req, reply) => {
      await deleteSession(rt.db, sessionOf(req).tokenHash);
      const { maxAge: _maxAge, ...opts } = cookieOptions(rt.config);
      reply.clearCookie(SESSION_COOKIE, opts);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    {
      config: { allow: 'authenticated' },
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
