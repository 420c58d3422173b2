// Correcting a decision after the fact (additive): supervisors and administrators change a resolved
// alarm's outcome, with a note saying why. The correction is recorded with who and when; the statistics
// count the corrected outcome from then on, and a frozen monthly report shows the difference.
import { correctOutcome } from '../../../db/corrections.js';
import { toAlarmView } from '../../../db/views.js';
import { alarmView, errorBody } from '../../../domain/views.js';
import { conflict, notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { inScope, visibleOrNotFound } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { isUuid } from '../cursor.js';
import { findAlarm } from '../../../db/alarms.js';
import { correctionRequest, idParams } from '../schemas.js';

export const correctionRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.post(
    '/v1/alarms/:id/correct',
    {
      config: { allow: ['alarms:correct'], scope: SCOPE.alarmInPath, audit: { action: 'alarm.correct', id: 'alarm' } },
      schema: {
        tags: ['alarms'],
        summary: "Correct the operator's decision on a resolved alarm (supervisors, administrators)",
        description:
          'Changes this alarm’s outcome (not the rest of its incident; a dispatch already requested stays) and ' +
          'records who corrected it, when, from what and why. The same outcome again is answered 200 and records ' +
          'nothing. 409 while the alarm is not resolved. Statistics count the corrected outcome; a month already ' +
          'frozen into a report shows the correction as a difference (GET /v1/stats/reports).',
        security,
        params: idParams,
        body: correctionRequest,
        response: { 200: alarmView, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const by = actorOf(req);
      const id = req.params.id;
      const row = isUuid(id) ? await findAlarm(rt.db, id) : undefined;
      if (!row || !inScope(user, row.municipality_id))
        await audit(rt.db, by, {
          action: 'alarm.correct',
          alarmId: isUuid(id) ? id : null,
          citizenId: row?.citizen_id ?? null,
          municipality: row?.municipality_id ?? null,
          outcome: 'refused',
          reason: row ? 'scope' : 'not_found',
        });
      visibleOrNotFound(user, row, 'alarm');
      const r = await correctOutcome(rt.db, id, user.username, req.body, by);
      if (r.outcome === 'missing') throw notFound('no such alarm');
      if (r.outcome === 'conflict') throw conflict('only a resolved alarm’s decision can be corrected');
      if (r.outcome === 'changed') await rt.feed.published();
      return toAlarmView(r.value);
    },
  );
};
