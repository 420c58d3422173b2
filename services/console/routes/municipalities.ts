// The municipalities in the user's scope, with their service levels (the board's countdowns use them).
import { listMunicipalities } from '../../../db/municipalities.js';
import { toMunicipalityView } from '../../../db/views.js';
import { errorBody } from '../../../domain/views.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { municipalityList } from '../schemas.js';

export const municipalityRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.get(
    '/v1/municipalities',
    {
      config: { allow: 'authenticated', scope: 'user' },
      schema: {
        tags: ['municipalities'],
        summary: 'Your municipalities, with their answer target, escalation limits, statistics and triage settings',
        description:
          'Set by an administrator through the registry (`PUT /v1/admin/registry`); the triage settings also through `PUT /v1/admin/municipalities/:id/triage`.',
        security,
        response: { 200: municipalityList, 401: errorBody },
      },
    },
    async (req) => {
      const rows = await listMunicipalities(rt.db, userOf(req).municipalities);
      return {
        municipalities: rows.map(toMunicipalityView),
      };
    },
  );
};
