// Administration (contract: PUT /v1/admin/registry; additive: a municipality's triage settings).
import { importRegistry, registrySchema } from '../../admin/registry.js';
import { errorBody } from '../../../domain/views.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { actorOf, audit } from '../audit-trail.js';
import { SCOPE } from '../protected.js';
import { inScope } from '../access.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { importResult, municipalityParams, municipalityView, triageSettingsRequest } from '../schemas.js';
import { updateTriageSettings } from '../../../db/municipalities.js';
import { toMunicipalityView } from '../../../db/views.js';
import { notFound } from '../../../platform/errors.js';

/** A whole municipality's registry (tens of thousands of citizens and devices) fits. */
const REGISTRY_BODY_LIMIT = 32 * 1024 * 1024;

export const adminRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.put(
    '/v1/admin/registry',
    {
      config: { allow: ['registry:write'], scope: 'all', audit: { action: 'registry.import' } },
      bodyLimit: REGISTRY_BODY_LIMIT,
      schema: {
        tags: ['administration'],
        summary: 'Upsert municipalities, gateways, citizens, devices and users in one transaction',
        description:
          'Role admin, of every municipality (`*`; an administrator of fewer is refused, 403). Every array is optional. Keys and passwords are stored only as hashes. Answers what was created and updated.',
        security,
        body: registrySchema,
        response: { 200: importResult, 400: errorBody, 401: errorBody, 403: errorBody, 413: errorBody },
      },
    },
    async (req) => importRegistry(rt.db, req.body, actorOf(req)),
  );

  app.put(
    '/v1/admin/municipalities/:municipality/triage',
    {
      config: {
        allow: ['registry:write'],
        scope: SCOPE.municipalityInPath,
        audit: { action: 'admin.triage_settings' },
      },
      schema: {
        tags: ['administration'],
        summary:
          "Change a municipality's triage settings (answer target, incident window, cancel window, self-closing types)",
        description:
          'Role admin. Each field is optional; the ones sent replace the stored ones, from the next alarm on ' +
          '(the answer target also for the alarms already waiting: they are overdue by the new target). ' +
          'Self-closing types may only be tests and technical events other than heartbeat_missed, never a press. ' +
          'The same settings are part of each municipality in `PUT /v1/admin/registry`.',
        security,
        params: municipalityParams,
        body: triageSettingsRequest,
        response: { 200: municipalityView, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      if (!inScope(userOf(req), req.params.municipality)) throw notFound('no such municipality');
      const row = await updateTriageSettings(rt.db, req.params.municipality, req.body);
      if (!row) throw notFound('no such municipality');
      await audit(rt.db, actorOf(req), {
        action: 'admin.triage_settings',
        municipality: req.params.municipality,
        outcome: 'allowed',
      });
      return toMunicipalityView(row);
    },
  );
};
