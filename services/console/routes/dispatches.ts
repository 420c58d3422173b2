// Dispatches for home-care planners (contract: "Dispatches").
import { findDispatch, listDispatches, updateDispatchStatus } from '../../../db/dispatches.js';
import { toDispatchView } from '../../../db/views.js';
import { dispatchDeliveries } from '../../../db/webhooks.js';
import type { DispatchRow } from '../../../db/schema.js';
import { OPEN_DISPATCH_STATUSES } from '../../../domain/dispatch.js';
import { dispatchView, errorBody } from '../../../domain/views.js';
import { conflict, notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { inScope, listScope, visibleOrNotFound, type ConsoleUser } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { isUuid, page, positionBefore } from '../cursor.js';
import { dispatchList, dispatchListQuery, dispatchStatusRequest, dispatchWithDelivery, idParams } from '../schemas.js';

export const dispatchRoutes: HttpPlugin<ConsoleContext> = async (app, ctx) => {
  const { rt } = ctx;
  const tags = ['dispatches'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

  /** Dispatch views with the webhook delivery of each one's latest change (null without one). */
  const withDeliveries = async (rows: DispatchRow[]) => {
    const deliveries = await dispatchDeliveries(
      rt.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...toDispatchView(r), webhook: deliveries.get(r.id) ?? null }));
  };

  const visibleDispatch = async (user: ConsoleUser, id: string) =>
    visibleOrNotFound(user, isUuid(id) ? await findDispatch(rt.db, id) : undefined, 'dispatch');

  app.get(
    '/v1/dispatches',
    {
      config: { allow: ['dispatches:read'], scope: SCOPE.municipalityFilter },
      schema: {
        tags,
        summary: 'Dispatches in your municipalities, newest first',
        security,
        querystring: dispatchListQuery,
        response: { 200: dispatchList, ...errors },
      },
    },
    async (req) => {
      const user = userOf(req);
      const q = req.query;
      const rows = await listDispatches(rt.db, {
        municipalities: listScope(user, q.municipality),
        statuses: q.status === 'all' ? null : q.status === 'open' ? OPEN_DISPATCH_STATUSES : [q.status],
        before: positionBefore(q.before),
        limit: q.limit,
      });
      const p = page(rows, q.limit);
      return { dispatches: await withDeliveries(p.rows), next: p.next };
    },
  );

  app.get(
    '/v1/dispatches/:id',
    {
      config: { allow: ['dispatches:read'], scope: SCOPE.dispatchInPath },
      schema: {
        tags,
        summary: 'One dispatch',
        security,
        params: idParams,
        response: { 200: dispatchWithDelivery, ...errors },
      },
    },
    async (req) => {
      const [view] = await withDeliveries([await visibleDispatch(userOf(req), req.params.id)]);
      return view!;
    },
  );

  app.post(
    '/v1/dispatches/:id/status',
    {
      config: { allow: ['dispatches:update'], scope: SCOPE.dispatchInPath, audit: { action: 'dispatch.update' } },
      schema: {
        tags,
        summary: 'Move a dispatch on (and set its team)',
        description:
          'A dispatch moves forward only (requested → accepted → en_route → arrived → completed; steps may be skipped) and can be cancelled until completed. Repeating the current status is answered 200; anything else from completed or cancelled, or a step back, is 409.',
        security,
        params: idParams,
        body: dispatchStatusRequest,
        response: { 200: dispatchView, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const id = req.params.id;
      const row = isUuid(id) ? await findDispatch(rt.db, id) : undefined;
      const visible = row !== undefined && inScope(user, row.municipality_id);
      const r = visible ? await updateDispatchStatus(rt.db, id, req.body) : ({ outcome: 'missing' } as const);
      // The dispatch names its alarm and citizen; a progress report (a team, a visit) is about them.
      await audit(rt.db, actorOf(req), {
        action: 'dispatch.update',
        alarmId: row?.alarm_id ?? null,
        citizenId: row?.citizen_id ?? null,
        municipality: row?.municipality_id ?? null,
        ...(r.outcome === 'missing'
          ? { outcome: 'refused', reason: row ? (visible ? 'not_found' : 'scope') : 'not_found' }
          : r.outcome === 'conflict'
            ? { outcome: 'refused', reason: 'conflict' }
            : { outcome: 'allowed' }),
      });
      visibleOrNotFound(user, row, 'dispatch');
      if (r.outcome === 'missing') throw notFound('no such dispatch');
      if (r.outcome === 'conflict')
        throw conflict(`a dispatch that is ${r.value.status} cannot become ${req.body.status}`);
      if (r.outcome === 'changed') await rt.feed.published();
      return toDispatchView(r.value);
    },
  );
};
