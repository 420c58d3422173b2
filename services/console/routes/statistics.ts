// Statistics for analysts, supervisors and administrators (contract: "Monthly statistics (analysts)"):
// monthly figures side by side, the frozen monthly reports (JSON, CSV, PDF) and the shared, anonymised
// figures of every municipality that takes part. Everything outside the user's scope is answered 404.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { addMonths, EARLIEST_MONTH, monthOf, monthSpan, type Month } from '../../../domain/statistics.js';
import {
  monthlyStatistics as monthlyShape,
  reportList,
  sharedStatistics as sharedShape,
} from '../../../domain/statistics-views.js';
import { errorBody } from '../../../domain/views.js';
import { forbidden, HttpError, notFound } from '../../../platform/errors.js';
import { typedJsonSerializer, type HttpPlugin } from '../../../platform/http.js';
import { CSV_CONTENT_TYPE, MONTH_COLUMNS, toCsv, type CsvColumn, type CsvDialect } from '../../statistics/csv.js';
import { monthlyStatistics, municipalitiesAsked } from '../../statistics/monthly.js';
import { reportsPdf } from '../../statistics/pdf.js';
import { readReports, type ReportView } from '../../statistics/reports.js';
import { participatingMunicipalities, sharedSchema, sharedStatistics } from '../../statistics/shared.js';
import { mayReadSharedStatistics } from '../access.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { SCOPE } from '../protected.js';
import { monthlyStatsQuery, reportPdfQuery, reportsQuery, sharedStatsQuery } from '../schemas.js';

/** The longest range one request may ask for: twenty years of months. */
export const MAX_MONTHS = 240;

const badRequest = (message: string) => new HttpError(400, 'invalid_request', message);

/** `from`…`to` with their defaults: to = the current month in Copenhagen, from = eleven months before it. */
function monthRange(q: { from?: Month | undefined; to?: Month | undefined }, now = new Date()) {
  const to = q.to ?? monthOf(now);
  const from = q.from ?? addMonths(to, -11);
  if (from < EARLIEST_MONTH) throw badRequest(`from (${from}) is before ${EARLIEST_MONTH}`);
  if (monthSpan(from, to) < 0) throw badRequest(`from (${from}) is after to (${to})`);
  if (monthSpan(from, to) >= MAX_MONTHS) throw badRequest(`at most ${MAX_MONTHS} months at once`);
  return { from, to };
}

const wantsCsv = (format: 'json' | 'csv' | undefined, accept: string | undefined) =>
  format === 'csv' || (format === undefined && /\btext\/csv\b/i.test(accept ?? ''));

function sendCsv(reply: FastifyReply, filename: string, body: string) {
  return reply
    .type(CSV_CONTENT_TYPE)
    .header('content-disposition', `attachment; filename="${filename}.csv"`)
    .send(body);
}

/** 200 as JSON (the schema) or as CSV (text), as the request asks. */
const jsonOrCsv = (schema: z.ZodType) => ({
  content: {
    'application/json': { schema },
    'text/csv': { schema: z.string().describe('CSV: UTF-8, a header row, one row per municipality and month') },
  },
});

const REPORT_COLUMNS: readonly CsvColumn[] = [
  ...MONTH_COLUMNS.slice(0, 3),
  ['frozenAt', (s) => s.report?.frozenAt ?? null],
  ['correctionsSinceFrozen', (s) => s.report?.correctionsSinceFrozen ?? null],
  ['changed', (s) => (s.report ? String(s.report.changed) : null)],
  ...MONTH_COLUMNS.slice(3),
];

const reportSubjects = (reports: readonly ReportView[]) =>
  reports.map((r) => ({ id: r.municipality, name: r.name, settings: r.settings, row: r.figures, report: r }));

export const statisticsRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const tags = ['statistics'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
  const asked = (scope: readonly string[] | null, requested: readonly string[] | 'all' | undefined) =>
    municipalitiesAsked(rt.db, scope, requested ?? 'all');

  app.get(
    '/v1/stats/monthly',
    {
      config: { allow: ['stats:read'], scope: SCOPE.municipalityAsked },
      serializerCompiler: typedJsonSerializer,
      schema: {
        tags,
        summary: 'Monthly statistics of one or several municipalities, side by side (JSON or CSV)',
        description:
          'One row per municipality and month, months in Europe/Copenhagen time of receipt, empty months as zeros. ' +
          'Rates are over resolved alarms; answeredWithin60s is over the month’s alarms. Every figure counts the ' +
          'alarms of every type but technical events, tests and cancels (counted apart). With one municipality the answer ' +
          'has the contract’s shape (`municipality`, `months`); `municipalities` always lists each one asked for. ' +
          'CSV: `format=csv` or `Accept: text/csv`; `sep=semicolon` for Danish spreadsheets.',
        security,
        querystring: monthlyStatsQuery,
        response: { 200: jsonOrCsv(monthlyShape), ...errors },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { from, to } = monthRange(req.query);
      const municipalities = await asked(user.municipalities, req.query.municipality);
      const stats = await monthlyStatistics(rt.db, municipalities, from, to);
      if (!wantsCsv(req.query.format, req.headers.accept)) return stats;
      const subjects = stats.municipalities.flatMap((m) =>
        m.months.map((row) => ({ id: m.id, name: m.name, settings: m.settings, row })),
      );
      const name = stats.municipality ?? 'municipalities';
      return sendCsv(reply, `statistics-${name}-${from}-${to}`, toCsv(MONTH_COLUMNS, subjects, dialect(req.query.sep)));
    },
  );

  app.get(
    '/v1/stats/reports',
    {
      config: { allow: ['stats:read'], scope: SCOPE.municipalityAsked },
      serializerCompiler: typedJsonSerializer,
      schema: {
        tags,
        summary: 'Frozen monthly reports, beside the same months computed now (JSON or CSV)',
        description:
          'On the first day of each month the previous month is frozen per municipality. `figures` is the month ' +
          'as frozen, `live` as it is now; a decision corrected since shows in `correctionsSinceFrozen` and ' +
          '`changed`. Without `month`, the reports of the last 12 months. The PDF: GET /v1/stats/reports/pdf.',
        security,
        querystring: reportsQuery,
        response: { 200: jsonOrCsv(reportList), ...errors },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const municipalities = await asked(user.municipalities, req.query.municipality);
      const to = req.query.month ?? addMonths(monthOf(new Date()), -1);
      const from = req.query.month ?? addMonths(to, -11);
      const reports = await readReports(rt.db, municipalities, from, to);
      if (!wantsCsv(req.query.format, req.headers.accept)) return { reports };
      const csv = toCsv(REPORT_COLUMNS, reportSubjects(reports), dialect(req.query.sep));
      return sendCsv(reply, `reports-${from}-${to}`, csv);
    },
  );

  app.get(
    '/v1/stats/reports/pdf',
    {
      config: { allow: ['stats:read'], scope: SCOPE.municipalityAsked },
      schema: {
        tags,
        summary: 'A frozen monthly report as PDF (a page per municipality)',
        description: '404 when the month has no frozen report yet (it is frozen on the first day of the next month).',
        security,
        querystring: reportPdfQuery,
        response: {
          200: { content: { 'application/pdf': { schema: z.string().describe('A PDF document') } } },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const municipalities = await asked(user.municipalities, req.query.municipality);
      const reports = await readReports(rt.db, municipalities, req.query.month, req.query.month);
      if (reports.length === 0) throw notFound(`no frozen report for ${req.query.month} yet`);
      const pdf = await reportsPdf(reports);
      const name = municipalities.length === 1 ? municipalities[0]!.id : 'municipalities';
      return (
        reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="report-${name}-${req.query.month}.pdf"`)
          // Bytes: Fastify sends a Buffer as it is (no serializer); the schema above only documents it.
          .send(pdf as unknown as string)
      );
    },
  );

  /** 403 unless the user may read the shared figures (access.ts). */
  const sharedFor = async (req: Parameters<typeof userOf>[0]) => {
    const participating = await participatingMunicipalities(rt.db);
    if (
      !mayReadSharedStatistics(
        userOf(req),
        participating.map((m) => m.id),
      )
    )
      throw forbidden('none of your municipalities takes part in the shared statistics');
  };

  app.get(
    '/v1/stats/shared',
    {
      config: { allow: ['stats:shared'], scope: 'none' },
      serializerCompiler: typedJsonSerializer,
      schema: {
        tags,
        summary: 'Shared, anonymised monthly figures of every municipality that takes part (JSON or CSV)',
        description:
          'For administrators, and for analysts of a municipality that takes part (`shareStatistics`); a ' +
          'municipality that opted out neither shares nor sees. No personal data: counts, shares and durations ' +
          'only. The format is documented at GET /v1/stats/shared/schema.',
        security,
        querystring: sharedStatsQuery,
        response: { 200: jsonOrCsv(sharedShape), ...errors },
      },
    },
    async (req, reply) => {
      await sharedFor(req);
      const { from, to } = monthRange(req.query);
      const shared = await sharedStatistics(rt.db, from, to);
      if (!wantsCsv(req.query.format, req.headers.accept)) return shared;
      const subjects = shared.municipalities.flatMap((m) =>
        m.months.map((row) => ({ id: m.id, name: m.name, settings: m.settings, row })),
      );
      return sendCsv(reply, `shared-statistics-${from}-${to}`, toCsv(MONTH_COLUMNS, subjects, dialect(req.query.sep)));
    },
  );

  app.get(
    '/v1/stats/shared/schema',
    {
      config: { allow: ['stats:shared'], scope: 'none' },
      schema: {
        tags,
        summary: 'The shared figures’ format: a JSON Schema of the JSON and the CSV’s columns',
        security,
        response: { 200: z.record(z.string(), z.unknown()), ...errors },
      },
    },
    async (req) => {
      await sharedFor(req);
      return sharedSchema();
    },
  );
};

const dialect = (sep: 'comma' | 'semicolon' | undefined): CsvDialect => sep ?? 'comma';
