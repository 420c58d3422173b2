// Administration (contract: PUT /v1/admin/registry).
import { importRegistry, registrySchema } from '../../admin/registry.js';
import { errorBody } from '../../../domain/views.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { actorOf } from '../audit-trail.js';
import { security, type ConsoleContext } from '../context.js';
import { importResult } from '../schemas.js';

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
};
