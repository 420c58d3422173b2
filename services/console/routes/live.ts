// The live feed (contract: GET /v1/live, WebSocket). A cookie-authenticated upgrade must come from the
// console's own origin: services/console/protected.ts checks it with every cookie-authenticated write.
import type { z } from 'zod';
import { errorBody } from '../../../domain/views.js';
import { HttpError } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { sessionOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { liveMessage, liveQuery } from '../schemas.js';

export const liveRoutes: HttpPlugin<ConsoleContext> = async (app, { hub }) => {
  app.route({
    method: 'GET',
    url: '/v1/live',
    config: { allow: ['live:alarms', 'live:dispatches'], scope: 'user' },
    schema: {
      tags: ['live feed'],
      summary: 'The live feed (WebSocket)',
      description: [
        'Open as a WebSocket (the 101 schema below is the shape of each message). Authenticate with the cookie or `Authorization: Bearer`; 401 / 403 are answered before the upgrade.',
        'Without `since`: first the open alarms and open dispatches you may see, each with the seq of its latest change; with `since`: every change after it that you may see, in seq order. Then `{"type":"synced","seq":N}` with the feed\'s current seq, then live changes in strictly increasing seq.',
        'Reconnect with `since` = the highest seq seen to miss nothing and see nothing twice. Close codes: 1001 server shutting down, 1013 client too slow, 1008 session ended or access changed, 1011 catch-up failed: reconnect with since (log in again after 1008).',
        'Planners receive dispatch messages only; every message is limited to your municipalities.',
      ].join('\n\n'),
      security,
      querystring: liveQuery,
      response: {
        101: liveMessage.describe('One message (a JSON object per WebSocket message)'),
        400: errorBody,
        401: errorBody,
        403: errorBody,
        426: errorBody,
      },
    },
    handler: async () => {
      throw new HttpError(426, 'upgrade_required', 'open /v1/live as a WebSocket', { upgrade: 'websocket' });
    },
    wsHandler: (socket, req) => {
      const session = sessionOf(req);
      const { since } = req.query as z.infer<typeof liveQuery>;
      return hub.connect(socket, session.user, session.tokenHash, since, session.expiresAt);
    },
  });
};
