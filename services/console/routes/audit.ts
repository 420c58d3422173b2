// The audit trail for administrators: query and export it (JSON, CSV), and print one citizen's access
// history for a subject-access request (JSON, PDF). Reading either is itself audited. Scope: an admin
// sees the rows of their municipalities; rows naming no municipality (logins, sessions, registry
// imports) only an admin of every municipality.
import { z } from 'zod';
import { citizenAccessHistory, listAuditEvents } from '../../../db/audit.js';
import { findCitizen } from '../../../db/citizens.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, auditEventView, type AuditEventView } from '../../../domain/audit.js';
import { refusing, storableText, timestampProblem } from '../../../domain/storable.js';
import { errorBody } from '../../../domain/views.js';
import { notFound } from '../../../platform/errors.js';
import { typedJsonSerializer, type HttpPlugin } from '../../../platform/http.js';
import { accessHistoryPdf, toAuditEventView, type AccessHistory } from '../../admin/access-history.js';
import { csvField, CSV_CONTENT_TYPE } from '../../statistics/csv.js';
import { inScope } from '../access.js';
import { actorOf, audit } from '../audit-trail.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const instant = z.iso
  .datetime({ offset: true })
  .superRefine(refusing(timestampProblem))
  .transform((s) => new Date(s));

const auditQuery = z.object({
  from: optional(instant.describe('From this instant (inclusive), RFC 3339')),
  to: optional(instant.describe('Before this instant, RFC 3339')),
  actor: optional(storableText(1, 64).describe('Username')),
  citizen: optional(storableText(1, 200).describe('Citizen id')),
  alarm: optional(z.uuid().describe('Alarm id')),
  action: optional(z.enum(AUDIT_ACTIONS)),
  outcome: optional(z.enum(AUDIT_OUTCOMES)),
  municipality: optional(storableText(1, 64)),
  before: optional(
    z
      .string()
      .regex(/^\d{1,18}$/, 'a cursor from `next`')
      .describe('The `next` of the previous page'),
  ),
  limit: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(10_000).default(100).describe('At most 10,000; default 100'),
  ),
  format: optional(z.enum(['json', 'csv'])),
  sep: optional(z.enum(['comma', 'semicolon'])),
});

const auditPage = z.object({
  events: z.array(auditEventView).describe('Newest first'),
  next: z.string().nullable().describe('Pass as `before` for the next page; null on the last page'),
});

const COLUMNS: readonly (keyof AuditEventView)[] = [
  'id',
  'at',
  'actor',
  'actorRole',
  'sessionId',
  'address',
  'requestId',
  'action',
  'purpose',
  'municipality',
  'citizenId',
  'alarmId',
  'outcome',
  'reason',
];

function auditCsv(events: readonly AuditEventView[], sep: 'comma' | 'semicolon'): string {
  const s = sep === 'semicolon' ? ';' : ',';
  const lines = [COLUMNS.join(s), ...events.map((e) => COLUMNS.map((c) => csvField(e[c], sep)).join(s))];
  return (sep === 'semicolon' ? '\uFEFF' : '') + lines.join('\r\n') + '\r\n';
}

const historyQuery = z.object({
  from: optional(instant),
  to: optional(instant),
  format: optional(z.enum(['json', 'pdf'])),
});

const historyView = z.object({
  citizen: z.object({ id: z.string(), municipality: z.string(), name: z.string() }),
  generatedAt: z.string(),
  truncated: z.boolean().describe('More accesses than shown (at most 10,000): narrow with from/to'),
  events: z.array(auditEventView).describe('Oldest first'),
});

/** Rows in one access history: a citizen whose alarms show on boards all day has many board reads. */
const HISTORY_MAX = 10_000;

export const auditRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const tags = ['administration'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody };

  app.get(
    '/v1/admin/audit',
    {
      config: { allow: ['audit:read'], scope: SCOPE.municipalityFilter, audit: { action: 'audit.query' } },
      serializerCompiler: typedJsonSerializer,
      schema: {
        tags,
        summary: 'The audit trail: who did what to whose data, when, from where, allowed or refused (JSON or CSV)',
        description:
          'Newest first, keyset-paged (`next` → `before`; with CSV the header `x-next-before`). Filters combine. ' +
          'Your municipalities’ rows only; rows naming no municipality (logins, sessions, registry imports) need an ' +
          'admin of every municipality. CSV: `format=csv` or `Accept: text/csv`; `sep=semicolon` for Danish ' +
          'spreadsheets. This query is itself audited (audit.query).',
        security,
        querystring: auditQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: auditPage },
              'text/csv': { schema: z.string().describe('CSV: UTF-8, a header row, one row per event') },
            },
          },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const q = req.query;
      const rows = await listAuditEvents(
        rt.db,
        {
          scope: user.municipalities,
          from: q.from,
          to: q.to,
          actor: q.actor,
          citizenId: q.citizen,
          alarmId: q.alarm,
          action: q.action,
          outcome: q.outcome,
          municipality: q.municipality,
          before: q.before,
        },
        q.limit + 1,
      );
      await audit(rt.db, actorOf(req), {
        action: 'audit.query',
        outcome: 'allowed',
        citizenId: q.citizen ?? null,
        alarmId: q.alarm ?? null,
        municipality: q.municipality ?? null,
      });
      const shown = rows.slice(0, q.limit).map(toAuditEventView);
      const next = rows.length > q.limit ? shown.at(-1)!.id : null;
      const csv = q.format === 'csv' || (q.format === undefined && /\btext\/csv\b/i.test(req.headers.accept ?? ''));
      if (!csv) return { events: shown, next };
      if (next !== null) reply.header('x-next-before', next);
      return reply
        .type(CSV_CONTENT_TYPE)
        .header('content-disposition', 'attachment; filename="audit.csv"')
        .send(auditCsv(shown, q.sep ?? 'comma'));
    },
  );

  app.get(
    '/v1/admin/citizens/:id/access-history',
    {
      config: {
        allow: ['audit:read'],
        scope: SCOPE.citizenInPath,
        audit: { action: 'audit.access_history', id: 'citizen' },
      },
      serializerCompiler: typedJsonSerializer,
      schema: {
        tags,
        summary: "A citizen's access history, for a subject-access request (JSON or a printable PDF)",
        description:
          'Every recorded access to the citizen’s data, oldest first: card reads (allowed and refused), decisions on ' +
          'their alarms, home care’s progress on their visits, earlier prints of this history. `format=pdf` (or ' +
          '`Accept: application/pdf`) gives the printable document in Danish. 404 outside your municipalities. ' +
          'Reading it is itself audited (audit.access_history), and shows in the next print.',
        security,
        params: z.object({ id: storableText(1, 200) }),
        querystring: historyQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: historyView },
              'application/pdf': { schema: z.string().describe('A PDF document') },
            },
          },
          ...errors,
          404: errorBody,
        },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const by = actorOf(req);
      const citizen = await findCitizen(rt.db, req.params.id);
      const fact = { action: 'audit.access_history', citizenId: req.params.id } as const;
      if (!citizen || !inScope(user, citizen.municipality_id)) {
        await audit(rt.db, by, {
          ...fact,
          municipality: citizen?.municipality_id ?? null,
          outcome: 'refused',
          reason: citizen ? 'scope' : 'not_found',
        });
        throw notFound('no such citizen');
      }
      // Recorded first, so the print shows itself: the citizen sees that their history was read.
      await audit(rt.db, by, { ...fact, municipality: citizen.municipality_id, outcome: 'allowed' });
      const rows = await citizenAccessHistory(rt.db, citizen.id, req.query, HISTORY_MAX + 1);
      const history: AccessHistory = {
        citizen: { id: citizen.id, municipality: citizen.municipality_id, name: citizen.name },
        generatedAt: new Date().toISOString(),
        truncated: rows.length > HISTORY_MAX,
        events: rows.slice(0, HISTORY_MAX).map(toAuditEventView),
      };
      const pdf =
        req.query.format === 'pdf' ||
        (req.query.format === undefined && /\bapplication\/pdf\b/i.test(req.headers.accept ?? ''));
      if (!pdf) return history;
      return (
        reply
          .type('application/pdf')
          .header(
            'content-disposition',
            `attachment; filename="access-history-${citizen.id.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"`,
          )
          // Bytes: Fastify sends a Buffer as it is; the schema only documents it.
          .send((await accessHistoryPdf(history)) as unknown as string)
      );
    },
  );
};
