// Alarms as operators see and decide them (contract: "Alarm view" and the /v1/alarms routes).
import { findAlarm, listAlarms } from '../../../db/alarms.js';
import { claimAlarm, resolveAlarm } from '../../../db/decisions.js';
import { toAlarmView, toDispatchView } from '../../../db/views.js';
import type { TriageClass } from '../../../domain/events.js';
import { alarmView, errorBody } from '../../../domain/views.js';
import { isCareResult, resultsFor } from '../../../domain/planned.js';
import { conflict, HttpError, notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import type { AuditActor, AuditFact } from '../../../db/audit.js';
import { can, inScope, listScope, visibleOrNotFound, type ConsoleUser } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { userOf } from '../auth.js';
import { readCitizenCard } from '../citizen-cards.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { isUuid, page, positionBefore } from '../cursor.js';
import { alarmDetail, alarmList, alarmListQuery, idParams, resolvedAlarm, resolveRequest } from '../schemas.js';

/** 409 for a claim or decision that came too late: resolved already, or held by someone else (named). */
const heldConflict = (status: string, holder: string | null | undefined) =>
  conflict(
    status === 'resolved' ? 'the alarm is already resolved' : `${holder ?? 'another operator'} has claimed the alarm`,
  );

const invalidDecision = (message: string) => new HttpError(400, 'invalid_decision', message);

export const alarmRoutes: HttpPlugin<ConsoleContext> = async (app, ctx) => {
  const { rt } = ctx;
  const tags = ['alarms'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

  /**
   * The alarm if it exists and the user may see it; 404 otherwise (also for a malformed id). A refusal
   * is audited as `refused` (what was asked, for which alarm; the foreign alarm's citizen and
   * municipality), while the caller learns nothing more than 404.
   */
  const visibleAlarm = async (user: ConsoleUser, id: string, by: AuditActor, refused: AuditFact | null) => {
    const row = isUuid(id) ? await findAlarm(rt.db, id) : undefined;
    if (refused && (!row || !inScope(user, row.municipality_id)))
      await audit(rt.db, by, {
        ...refused,
        alarmId: isUuid(id) ? id : null,
        citizenId: row?.citizen_id ?? null,
        municipality: row?.municipality_id ?? null,
        outcome: 'refused',
        reason: row ? 'scope' : 'not_found',
      });
    return visibleOrNotFound(user, row, 'alarm');
  };

  app.get(
    '/v1/alarms',
    {
      config: { allow: ['alarms:read'], scope: SCOPE.municipalityFilter },
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
      config: { allow: ['alarms:read'], scope: SCOPE.alarmInPath, audit: { action: 'card.read', id: 'alarm' } },
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
      const by = actorOf(req);
      const readsCard = can(user, 'citizens:read');
      const alarm = await visibleAlarm(
        user,
        req.params.id,
        by,
        readsCard ? { action: 'card.read', purpose: 'alarm_handling', outcome: 'refused' } : null,
      );
      const view = toAlarmView(alarm);
      if (!readsCard) return view;
      const citizen = alarm.citizen_id
        ? await readCitizenCard(ctx, user, by, alarm.citizen_id, { alarmId: alarm.id, purpose: 'alarm_handling' })
        : null;
      return { ...view, citizen };
    },
  );

  app.post(
    '/v1/alarms/:id/claim',
    {
      config: { allow: ['alarms:handle'], scope: SCOPE.alarmInPath, audit: { action: 'alarm.claim', id: 'alarm' } },
      schema: {
        tags,
        summary: 'Claim an alarm: you answer it',
        description:
          'Claims the alarm and the other open alarms of its incident that nobody holds (an incident is one call). Claiming your own claim again is answered 200. 409 when it is resolved, or when another operator holds it or any open alarm of its incident; the message names the holder.',
        security,
        params: idParams,
        response: { 200: alarmView, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const by = actorOf(req);
      await visibleAlarm(user, req.params.id, by, { action: 'alarm.claim', outcome: 'refused' });
      const r = await claimAlarm(rt.db, req.params.id, user.username, by);
      if (r.outcome === 'missing') throw notFound('no such alarm');
      if (r.outcome === 'conflict') throw heldConflict(r.value.status, r.holder);
      if (r.outcome === 'changed') await rt.feed.published();
      return toAlarmView(r.value);
    },
  );

  app.post(
    '/v1/alarms/:id/resolve',
    {
      config: { allow: ['alarms:handle'], scope: SCOPE.alarmInPath, audit: { action: 'alarm.resolve', id: 'alarm' } },
      schema: {
        tags,
        summary: "Record the operator's decision",
        description:
          'The decision covers the alarm and the other open alarms of its incident (each gets the outcome and the note). A planned call or night check takes its type’s results too (see outcome); on an item raised from a schedule, not reached/seen plans a retry after the municipality’s delay, and after the last retry requests a dispatch (the night patrol for a night check). Allowed when you hold them or nobody does (you then hold them). Outcome dispatch requests one dispatch, for this alarm, in the same transaction. 409 when another operator holds the alarm or any open alarm of its incident (named in the message), or it is already resolved.',
        security,
        params: idParams,
        body: resolveRequest,
        response: { 200: resolvedAlarm, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const by = actorOf(req);
      const alarm = await visibleAlarm(user, req.params.id, by, { action: 'alarm.resolve', outcome: 'refused' });
      const { outcome, note, followUp } = req.body;
      const result = isCareResult(outcome) ? outcome : undefined;
      if (result !== undefined && !resultsFor(alarm.type).includes(result)) {
        const fits = resultsFor(alarm.type);
        throw invalidDecision(
          `outcome ${result} does not fit a ${alarm.type} alarm; use false_alarm, phone_resolvable or dispatch${fits.length ? `, or ${fits.join(', ')}` : ''}`,
        );
      }
      if (followUp !== undefined && !(result === 'reached_needs_help' || result === 'seen_needs_help'))
        throw invalidDecision('followUp goes only with reached_needs_help or seen_needs_help');
      const r = await resolveAlarm(
        rt.db,
        req.params.id,
        user.username,
        {
          outcome: result === undefined ? (outcome as TriageClass) : 'phone_resolvable',
          note,
          result,
          followUp,
        },
        by,
      );
      if (r.outcome === 'missing') throw notFound('no such alarm');
      if (r.outcome === 'conflict') throw heldConflict(r.value.alarm.status, r.holder);
      if (r.outcome === 'changed') await rt.feed.published();
      const view = toAlarmView(r.value.alarm);
      return r.value.dispatch ? { ...view, dispatch: toDispatchView(r.value.dispatch) } : view;
    },
  );
};
