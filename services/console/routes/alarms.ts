// Alarms as operators see and decide them (contract: "Alarm view" and the /v1/alarms routes).
import { findAlarm, listAlarms } from '../../../db/alarms.js';
import { claimAlarm, resolveAlarm } from '../../../db/decisions.js';
import { toAlarmView, toDispatchView } from '../../../db/views.js';
import { alarmView, errorBody } from '../../../domain/views.js';
import { conflict, notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { can, listScope, visibleOrNotFound, type ConsoleUser } from '../access.js';
import { userOf } from '../auth.js';
import { readCitizenCard } from '../citizen-cards.js';
import { security, type ConsoleContext } from '../context.js';
import { isUuid, page, positionBefore } from '../cursor.js';
import { alarmDetail, alarmList, alarmListQuery, idParams, resolvedAlarm, resolveRequest } from '../schemas.js';

export const alarmRoutes: HttpPlugin<ConsoleContext> = async (app, ctx) => {
  const { rt } = ctx;
  const tags = ['alarms'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

  /** The alarm if it exists and the user may see it; 404 otherwise (also for a malformed id). */
  const visibleAlarm = async (user: ConsoleUser, id: string) =>
    visibleOrNotFound(user, isUuid(id) ? await findAlarm(rt.db, id) : undefined, 'alarm');

  app.get(
    '/v1/alarms',
    {
      config: { allow: ['alarms:read'] },
      schema: {
        tags,
        summary: 'Alarms in your municipalities, newest first',
        security,
        querystring: alarmListQuery,
        response: { 200: alarmList, ...errors },
      },
    },
    async (req) => {
      const user = userOf(req);
      const q = req.query;
      const rows = await listAlarms(rt.db, {
        municipalities: listScope(user, q.municipality),
        status: q.status,
        before: positionBefore(q.before),
        limit: q.limit,
      });
      const p = page(rows, q.limit);
      return { alarms: p.rows.map(toAlarmView), next: p.next };
    },
  );

  app.get(
    '/v1/alarms/:id',
    {
      config: { allow: ['alarms:read'] },
      schema: {
        tags,
        summary: "One alarm, with the citizen's card",
        description: 'Reading the card is audited (who, which citizen, which alarm, when) before it is answered.',
        security,
        params: idParams,
        response: { 200: alarmDetail, ...errors },
      },
    },
    async (req) => {
      const user = userOf(req);
      const alarm = await visibleAlarm(user, req.params.id);
      const view = toAlarmView(alarm);
      if (!can(user, 'citizens:read')) return view;
      const citizen = alarm.citizen_id
        ? await readCitizenCard(ctx, user, alarm.citizen_id, { alarmId: alarm.id, purpose: 'alarm_handling' })
        : null;
      return { ...view, citizen };
    },
  );

  app.post(
    '/v1/alarms/:id/claim',
    {
      config: { allow: ['alarms:handle'] },
      schema: {
        tags,
        summary: 'Claim an alarm: you answer it',
        description:
          'Claiming your own claim again is answered 200. 409 when another operator holds it or it is resolved.',
        security,
        params: idParams,
        response: { 200: alarmView, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      await visibleAlarm(user, req.params.id);
      const r = await claimAlarm(rt.db, req.params.id, user.username);
      if (r.outcome === 'missing') throw notFound('no such alarm');
      if (r.outcome === 'conflict') {
        throw conflict(
          r.value.status === 'resolved' ? 'the alarm is already resolved' : 'another operator has claimed the alarm',
        );
      }
      if (r.outcome === 'changed') await rt.feed.published();
      return toAlarmView(r.value);
    },
  );

  app.post(
    '/v1/alarms/:id/resolve',
    {
      config: { allow: ['alarms:handle'] },
      schema: {
        tags,
        summary: "Record the operator's decision",
        description:
          'Allowed on an alarm you hold or an unclaimed one (which you then hold). Outcome dispatch requests a dispatch in the same transaction. 409 when another operator holds it or it is already resolved.',
        security,
        params: idParams,
        body: resolveRequest,
        response: { 200: resolvedAlarm, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      await visibleAlarm(user, req.params.id);
      const r = await resolveAlarm(rt.db, req.params.id, user.username, req.body);
      if (r.outcome === 'missing') throw notFound('no such alarm');
      if (r.outcome === 'conflict') {
        throw conflict(
          r.value.alarm.status === 'resolved'
            ? 'the alarm is already resolved'
            : 'another operator has claimed the alarm',
        );
      }
      if (r.outcome === 'changed') await rt.feed.published();
      const view = toAlarmView(r.value.alarm);
      return r.value.dispatch ? { ...view, dispatch: toDispatchView(r.value.dispatch) } : view;
    },
  );
};
