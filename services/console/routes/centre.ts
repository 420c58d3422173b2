// The centre's status for the operators' and supervisors' screens, polled every few seconds.
import { errorBody } from '../../../domain/views.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { userOf } from '../auth.js';
import { centreStatus } from '../centre-status.js';
import { security, type ConsoleContext } from '../context.js';
import { centreStatus as centreStatusView } from '../schemas.js';

export const centreRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.get(
    '/v1/centre',
    {
      config: { allow: ['centre:read'], scope: 'user' },
      schema: {
        tags: ['centre'],
        summary: 'The centre now: staffing, triage, waiting alarms and escalations, silent gateways',
        description:
          'For operators, supervisors and administrators; limited to your municipalities (planners and analysts: 403). Meant to be polled every few seconds: every figure is read from what is open now or from today, never the history.',
        security,
        response: { 200: centreStatusView, 401: errorBody, 403: errorBody },
      },
    },
    async (req) => centreStatus(rt, userOf(req)),
  );
};
