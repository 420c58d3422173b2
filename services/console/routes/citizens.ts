// The citizen card (contract: GET /v1/citizens/:id), audited.
import { findAlarm } from '../../../db/alarms.js';
import { errorBody } from '../../../domain/views.js';
import { notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { can, inScope } from '../access.js';
import { userOf } from '../auth.js';
import { actorOf, audit } from '../audit-trail.js';
import { readCitizenCard, readCitizenNames } from '../citizen-cards.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { citizenCard, citizenNames, citizenNamesQuery, citizenQuery, idParams } from '../schemas.js';

export const citizenRoutes: HttpPlugin<ConsoleContext> = async (app, ctx) => {
  const { rt } = ctx;

  app.get(
    '/v1/citizens',
    {
      config: {
        allow: ['citizens:read', 'citizens:read-dispatched'],
        scope: SCOPE.citizensInQuery,
        audit: { action: 'card.read.board' },
      },
      schema: {
        tags: ['citizens'],
        summary: 'Names and addresses of several citizens, for the rows of a board',
        description:
          'Each citizen returned is an audited read (purpose `board`). The same rule as the card: planners get only citizens with an open dispatch in their municipalities. Others are left out.',
        security,
        querystring: citizenNamesQuery,
        response: { 200: citizenNames, 400: errorBody, 401: errorBody, 403: errorBody },
      },
    },
    async (req) => ({ citizens: await readCitizenNames(ctx, userOf(req), actorOf(req), req.query.ids) }),
  );

  app.get(
    '/v1/citizens/:id',
    {
      config: {
        allow: ['citizens:read', 'citizens:read-dispatched'],
        scope: SCOPE.citizenInPath,
        audit: { action: 'card.read', id: 'citizen' },
      },
      schema: {
        tags: ['citizens'],
        summary: "A citizen's card: name, address, phone, key safe, care notes",
        description:
          'Every read is audited (who, which citizen, which alarm, when) before it is answered. Planners may read the card of a citizen with a dispatch in their municipalities. `alarm` must be an alarm of this citizen in your scope.',
        security,
        params: idParams,
        querystring: citizenQuery,
        response: { 200: citizenCard, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const citizenId = req.params.id;
      const alarmId = req.query.alarm ?? null;
      const purpose = can(user, 'citizens:read') ? 'citizen_card' : 'dispatch_planning';
      if (alarmId !== null) {
        // The audit's context must be true: an alarm of this citizen that the user may see.
        const alarm = await findAlarm(rt.db, alarmId);
        if (!alarm || alarm.citizen_id !== citizenId || !inScope(user, alarm.municipality_id)) {
          const reason = alarm && !inScope(user, alarm.municipality_id) ? 'scope' : 'not_found';
          await audit(rt.db, actorOf(req), {
            action: 'card.read',
            purpose,
            citizenId,
            alarmId,
            municipality: alarm?.municipality_id ?? null,
            outcome: 'refused',
            reason,
          });
          throw notFound('no such citizen');
        }
      }
      const card = await readCitizenCard(ctx, user, actorOf(req), citizenId, { alarmId, purpose });
      if (!card) throw notFound('no such citizen');
      return card;
    },
  );
};
