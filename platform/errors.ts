// Errors that carry their HTTP answer. One error handler per service turns them into the contract's body.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = 'not found') => new HttpError(404, 'not_found', what);
export const forbidden = (what = 'not allowed for your role') => new HttpError(403, 'forbidden', what);
export const unauthorized = (what = 'authentication required', headers: Record<string, string> = {}) =>
  new HttpError(401, 'unauthorized', what, headers);
export const conflict = (what: string) => new HttpError(409, 'conflict', what);
/** What a 503 asks a client to wait before retrying: Postgres restarts and failovers take seconds. */
export const RETRY_AFTER_SECONDS = 2;
const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) });

export const unavailable = (what: string, retryAfterSeconds = RETRY_AFTER_SECONDS) =>
  new HttpError(503, 'unavailable', what, retryAfter(retryAfterSeconds));

/** A 429 from @fastify/rate-limit's errorResponseBuilder: `ttlMs` until the budget refills. */
export const rateLimited = (what: string, ttlMs: number) =>
  new HttpError(429, 'rate_limited', what, retryAfter(ttlMs / 1000));

/** Postgres or the network to it is down, overloaded or restarting: a 503 and a retry, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  const code = e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  // 08: connection exception; 57P0x: shutdown/cannot connect now; 53: insufficient resources; 57014: statement timeout.
  if (/^(08|53)/.test(code) || /^57P0/.test(code) || code === '57014') return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}
