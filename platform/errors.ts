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
  // 08P01 (protocol violation) is a statement the server could not take, e.g. more than 65,535
  // parameters: a defect to fix, and sending it again fails the same way.
  if (code === '08P01') return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  // 08: connection exception; 57P0x: shutdown/cannot connect now; 53: insufficient resources; 57014: statement timeout.
  if (/^(08|53)/.test(code) || /^57P0/.test(code) || code === '57014') return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

/**
 * Postgres refused the data itself: SQLSTATE class 22 (data exception: a NUL byte, an invalid escape,
 * a value out of range) or 54 (program limit exceeded: a value too large or too deep to index or
 * parse). Sending the same again fails the same way, so it is bad input, not an outage. (Class 23, a
 * violated constraint, is left out: in a statement whose every column the code fills it means a bug or
 * a registry in a bad state, which may be fixed; the sender should retry, not give up.) Returns
 * Postgres' message without any input it quotes (a value may be personal data), or undefined for every
 * other error.
 */
export function dataRefusal(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code !== 'string' || !/^(22|54)[0-9A-Z]{3}$/.test(e.code)) return undefined;
  const message = typeof e.message === 'string' ? e.message : 'refused';
  // Postgres quotes input as `…: "<input>"` at the end, or as `value "<input>" is out of range…`.
  return message
    .replace(/: ".*"$/s, '')
    .replace(/value ".*" is/s, 'value is')
    .slice(0, 200);
}
