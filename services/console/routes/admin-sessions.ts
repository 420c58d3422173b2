// Administrators list and end console sessions: a lost laptop, a leaving employee, a suspicion.
import { z } from 'zod';
import { deleteSessionById, deleteUserSessions, listSessions } from '../../../db/sessions.js';
import { storableText } from '../../../domain/storable.js';
import { errorBody } from '../../../domain/views.js';
import { notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { actorOf, audit } from '../audit-trail.js';
import { security, type ConsoleContext } from '../context.js';

const sessionListing = z.object({
  id: z.string().uuid().describe('The session’s handle for ending it (not its token)'),
  username: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string().describe('Its last use (written at most every 30 s; an open live feed counts)'),
  expiresAt: z.string(),
  address: z.string().nullable().describe('The client address at login'),
});

export const adminSessionRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const tags = ['administration'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody };

  app.get(
    '/v1/admin/sessions',
    {
      config: { allow: ['sessions:manage'], scope: 'all', audit: { action: 'sessions.list' } },
      schema: {
        tags,
        summary: 'Console sessions in force, newest first (at most 1000)',
        security,
        querystring: z.object({ username: storableText(1, 64).optional().describe('Only this user’s') }),
        response: { 200: z.object({ sessions: z.array(sessionListing) }), ...errors },
      },
    },
    async (req) => {
      const rows = await listSessions(rt.db, {
        username: req.query.username,
        idleMinutes: rt.config.sessionIdleMinutes,
        limit: 1000,
      });
      await audit(rt.db, actorOf(req), { action: 'sessions.list', outcome: 'allowed' });
      return {
        sessions: rows.map((s) => ({
          id: s.id,
          username: s.username,
          createdAt: new Date(s.created_at).toISOString(),
          lastSeenAt: new Date(s.last_seen_at).toISOString(),
          expiresAt: new Date(s.expires_at).toISOString(),
          address: s.address,
        })),
      };
    },
  );

  app.delete(
    '/v1/admin/sessions/:id',
    {
      config: { allow: ['sessions:manage'], scope: 'all', audit: { action: 'sessions.revoke' } },
      schema: {
        tags,
        summary: 'End one session',
        description: 'Its live feeds close (1008) at once, on every console instance.',
        security,
        params: z.object({ id: z.string().uuid() }),
        response: { 204: z.null(), ...errors, 404: errorBody },
      },
    },
    async (req, reply) => {
      const ended = await deleteSessionById(rt.db, req.params.id);
      await audit(rt.db, actorOf(req), {
        action: 'sessions.revoke',
        outcome: ended ? 'allowed' : 'refused',
        reason: ended ? null : 'not_found',
      });
      if (!ended) throw notFound('no such session');
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/admin/users/:username/sessions',
    {
      config: { allow: ['sessions:manage'], scope: 'all', audit: { action: 'sessions.revoke' } },
      schema: {
        tags,
        summary: 'End every session of a user',
        description:
          'To keep the user out for good, disable them in the registry (`disabled: true`), which also ends their sessions.',
        security,
        params: z.object({ username: storableText(1, 64) }),
        response: { 200: z.object({ ended: z.number().int() }), ...errors },
      },
    },
    async (req) => {
      const ended = await deleteUserSessions(rt.db, req.params.username);
      await audit(rt.db, actorOf(req), { action: 'sessions.revoke', outcome: 'allowed' });
      return { ended };
    },
  );
};
