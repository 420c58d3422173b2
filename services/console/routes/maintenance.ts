// Maintenance tasks (additive): the technical trouble of the units in your municipalities (low battery,
// mains failure, tamper, a silent gateway), opened by the technical alarms, closed by the matching
// restore or by hand here.
import { closeMaintenanceTask, findMaintenanceTask, listMaintenanceTasks } from '../../../db/maintenance.js';
import { toMaintenanceTaskView } from '../../../db/views.js';
import { errorBody, maintenanceTaskView } from '../../../domain/views.js';
import { conflict } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { listScope, visibleOrNotFound } from '../access.js';
import { userOf } from '../auth.js';
import { SCOPE } from '../protected.js';
import { security, type ConsoleContext } from '../context.js';
import { isUuid } from '../cursor.js';
import { idParams, maintenanceCloseRequest, maintenanceList, maintenanceListQuery } from '../schemas.js';

export const maintenanceRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.get(
    '/v1/maintenance',
    {
      config: { allow: ['alarms:read'], scope: SCOPE.municipalityFilter },
      schema: {
        tags: ['maintenance'],
        summary: 'Maintenance tasks of the units in your municipalities',
        description:
          'One task per unit, municipality and kind while open: opened by a `low_battery`, `mains_failure`, `tamper` ' +
          'or `heartbeat_missed` alarm, counting the ones that follow; closed by `mains_restored` (a mains failure), ' +
          'the gateway heard again (a missing heartbeat), or by hand (`POST /v1/maintenance/:id/close`).',
        security,
        querystring: maintenanceListQuery,
        response: { 200: maintenanceList, 400: errorBody, 401: errorBody, 403: errorBody },
      },
    },
    async (req) => {
      const scope = listScope(userOf(req), req.query.municipality);
      const rows = await listMaintenanceTasks(rt.db, scope, req.query.status, req.query.limit);
      return { tasks: rows.map(toMaintenanceTaskView) };
    },
  );

  app.post(
    '/v1/maintenance/:id/close',
    {
      config: { allow: ['alarms:handle'], scope: SCOPE.maintenanceInPath },
      schema: {
        tags: ['maintenance'],
        summary: 'Close a maintenance task by hand (the unit repaired or replaced)',
        description: '409 when the task is already closed; 404 outside your municipalities.',
        security,
        params: idParams,
        body: maintenanceCloseRequest,
        response: {
          200: maintenanceTaskView,
          400: errorBody,
          401: errorBody,
          403: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (req) => {
      const user = userOf(req);
      const id = req.params.id;
      visibleOrNotFound(user, isUuid(id) ? await findMaintenanceTask(rt.db, id) : undefined, 'maintenance task');
      const closed = await closeMaintenanceTask(rt.db, id, user.username, req.body.note ?? null);
      if (!closed) throw conflict('the maintenance task is already closed');
      return toMaintenanceTaskView(closed);
    },
  );
};
