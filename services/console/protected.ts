// Deny by default: every console route but the public ones (CONSOLE_PUBLIC_ROUTES in app.ts) is
// registered inside protectedRoutes. Its hook authenticates the session (bearer token or cookie),
// then checks the access the route declares in `config.allow`; a route that declares none stops the
// console from starting. Both checks run before the body is read or validated and before anything is
// looked up, so a 401 or 403 reveals nothing. Route-level onRequest hooks run after them.
//
// A session sent as the cookie rides along with whatever a browser sends, so a write or a live-feed
// upgrade authenticated by the cookie must not come from another origin (`Origin`, else `Referer`,
// naming another host): a page elsewhere cannot act as the operator (cross-site request forgery),
// beside the cookie's SameSite=Strict. Browsers always name the origin of a cross-origin write and of
// every WebSocket handshake; a request naming none comes from a program, not a forged page. A bearer
// token is sent only by code that holds it.
import type { FastifyRequest } from 'fastify';
import type { HttpPlugin } from '../../platform/http.js';
import { forbidden } from '../../platform/errors.js';
import { requirePermission, type Permission } from './access.js';
import { authenticator, userOf } from './auth.js';
import type { ConsoleContext } from './context.js';

/** Who may call a protected route: any logged-in user, or a role with at least one of the permissions. */
export type Allow = 'authenticated' | readonly [Permission, ...Permission[]];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Protected console routes: who may call the route (see services/console/protected.ts). */
    allow?: Allow;
  }
}

/** Methods that change something; GET and HEAD never do. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The host a browser says the request comes from (`Origin`, else `Referer`); undefined when it names
 * none; null when what it names is no host (an opaque origin, `null`, or not a URL).
 */
function claimedOrigin(headers: {
  origin?: string | undefined;
  referer?: string | undefined;
}): string | null | undefined {
  const from = headers.origin ?? headers.referer;
  if (from === undefined) return undefined;
  try {
    return new URL(from).host || null;
  } catch {
    return null;
  }
}

/** The header the console's own pages send with every request: a page elsewhere cannot send it. */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'responscenter';

/**
 * A cookie-authenticated request must come from the console's own pages:
 *  - a browser that says where a request comes from (`Sec-Fetch-Site`) must say `same-origin` (or
 *    `none`, typed by the user), for reads too: reading a card writes an audit row, and a sibling
 *    subdomain or another port of the host is `same-site`, which SameSite=Strict lets through;
 *  - a write or live-feed upgrade naming another origin (`Origin`, else `Referer`) is refused;
 *  - a write must carry `X-Requested-With: responscenter`: a page of another origin cannot add a
 *    custom header without the console's consent (a CORS preflight it never grants).
 */
function checkSameOrigin(req: FastifyRequest): void {
  if (req.consoleSession?.via !== 'cookie') return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw forbidden(
      `a request with the session cookie must come from this console’s own pages (Sec-Fetch-Site: ${site})`,
    );
  const upgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
  if (!upgrade && !WRITES.has(req.method)) return;
  const origin = claimedOrigin(req.headers);
  if (origin !== undefined && origin !== req.headers.host)
    throw forbidden('a request with the session cookie must come from this console’s own pages (Origin)');
  if (!upgrade && req.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE)
    throw forbidden(
      `a write with the session cookie must carry the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE} (the console's pages send it; programs use a bearer token)`,
    );
}

const declaresAccess = (allow: unknown): allow is Allow =>
  allow === 'authenticated' || (Array.isArray(allow) && allow.length > 0);

export type ProtectedRoutesOptions = {
  ctx: ConsoleContext;
  /** Route plugins; each is registered with the context as its options. */
  routes: readonly HttpPlugin<ConsoleContext>[];
};

export const protectedRoutes: HttpPlugin<ProtectedRoutesOptions> = async (app, { ctx, routes }) => {
  const authenticate = authenticator(ctx.rt.db, ctx.rt.config);

  app.addHook('onRoute', (route) => {
    if (!declaresAccess(route.config?.allow))
      throw new Error(
        `console route ${String(route.method)} ${route.url} declares no access: set config.allow to 'authenticated' or the permissions it needs`,
      );
  });

  app.addHook('onRequest', async (req) => {
    await authenticate(req);
    checkSameOrigin(req);
    const allow = req.routeOptions.config.allow;
    if (allow === 'authenticated') return;
    if (!declaresAccess(allow)) throw forbidden();
    requirePermission(userOf(req), ...allow);
  });

  for (const routePlugin of routes) await app.register(routePlugin, ctx);
};
