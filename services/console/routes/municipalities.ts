// The municipalities in the user's scope, with their service levels (the board's countdowns use them).
import { listMunicipalities } from '../../../db/municipalities.js';
import { errorBody } from '../../../domain/views.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { municipalityList } from '../schemas.js';

export const municipalityRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  app.get(
    '/v1/municipalities',
    {
      config: { allow: 'authenticated' },
      schema: {
        tags: ['municipalities'],
        summary: 'Your municipalities, with their answer target, escalation limits and statistics settings',
        description: 'Set by an administrator through the registry (`PUT /v1/admin/registry`).',
        security,
        response: { 200: municipalityList, 401: errorBody },
      },
    },
    async (req) => {
      const rows = await listMunicipalities(rt.db, userOf(req).municipalities);
      return {
        municipalities: rows.map((m) => ({
          id: m.id,
          name: m.name,
          code: m.code,
          answerTargetSeconds: m.answer_target_seconds,
          unresolvedAfterMinutes: m.unresolved_after_minutes,
          dispatchAcceptMinutes: m.dispatch_accept_minutes,
          visitMinutes: m.visit_minutes,
          visitCostDkk: m.visit_cost_dkk,
          nightVisitMinutes: m.night_visit_minutes,
          nightVisitCostDkk: m.night_visit_cost_dkk,
          falseAlarmTargetRate: m.false_alarm_target_rate,
          shareStatistics: m.share_statistics,
          plannedCallRetryMinutes: m.planned_call_retry_minutes,
          plannedCallRetries: m.planned_call_retries,
          nightCheckRetryMinutes: m.night_check_retry_minutes,
          nightCheckRetries: m.night_check_retries,
        })),
      };
    },
  );
};
