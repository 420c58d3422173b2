// Statistics for analysts, supervisors and administrators (contract: "Monthly statistics (analysts)"):
// monthly figures side by side. Everything outside the user's scope is answered 404.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { addMonths, monthOf, monthSpan, type Month } from '../../../domain/statistics.js';
import { monthlyStatistics as monthlyShape } from '../../../domain/statistics-views.js';
import { errorBody } from '../../../domain/views.js';
import { HttpError } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { CSV_CONTENT_TYPE, MONTH_COLUMNS, toCsv, type CsvDialect } from '../../statistics/csv.js';
import { monthlyStatistics, municipalitiesAsked } from '../../statistics/monthly.js';
import { userOf } from '../auth.js';
import { security, type ConsoleContext } from '../context.js';
import { monthlyStatsQuery } from '../schemas.js';

/** The longest range one request may ask for: twenty years of months. */
export const MAX_MONTHS = 240;

const badRequest = (message: string) => new HttpError(400, 'invalid_request', message);

/** `from`…`to` with their defaults: to = the current month in Copenhagen, from = eleven months before it. */
function monthRange(q: { from?: Month | undefined; to?: Month | undefined }, now = new Date()) {
  const to = q.to ?? monthOf(now);
  const from = q.from ?? addMonths(to, -11);
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

export const statisticsRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const tags = ['statistics'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
  const asked = (scope: readonly string[] | null, requested: readonly string[] | 'all' | undefined) =>
    municipalitiesAsked(rt.db, scope, requested ?? 'all');

  app.get(
    '/v1/stats/monthly',
    {
      config: { allow: ['stats:read'] },
      schema: {
        tags,
        summary: 'Monthly statistics of one or several municipalities, side by side (JSON or CSV)',
        description:
          'One row per municipality and month, months in Europe/Copenhagen time of receipt, empty months as zeros. ' +
          'Rates are over resolved alarms; answeredWithin60s is over the month’s alarms. Every figure counts the ' +
          'alarms of every type but technical events and tests (counted apart). With one municipality the answer ' +
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
};

const dialect = (sep: 'comma' | 'semicolon' | undefined): CsvDialect => sep ?? 'comma';
