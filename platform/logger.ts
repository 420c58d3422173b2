// pino, configured so that personal data never reaches a log.
import pino, { type Logger, type LoggerOptions } from 'pino';

/** Field names that carry personal data or secrets, wherever they appear in a logged object. */
export const REDACTED_FIELDS = [
  'name',
  'address',
  'phone',
  'keySafe',
  'key_safe',
  'notes',
  'note',
  'password',
  'apiKey',
  'secret',
  'token',
  'authorization',
  'cookie',
  'details',
];

export const redactPaths = [
  ...REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function loggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      // The route pattern, not the URL: paths such as /v1/citizens/:id would otherwise carry identifiers.
      req: (req: { method?: string; routeOptions?: { url?: string }; id?: string; ip?: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? '(no route)',
        id: req.id,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * An error as logs carry it: its message and code only. A database error's detail or a request's
 * body can quote personal data (an address in a duplicate-key detail), so the rest stays out.
 */
export function errorFields(err: unknown): { err: { message: string; code?: string } } {
  const e = err as { message?: unknown; code?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { err: typeof e?.code === 'string' ? { message, code: e.code } : { message } };
}

export function createLogger(level: string, service: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level, service), destination) : pino(loggerOptions(level, service));
}

export type { Logger };
