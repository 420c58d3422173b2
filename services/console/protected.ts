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
import type { AuditAction } from '../../domain/audit.js';
import { textProblem } from '../../domain/storable.js';
import { requirePermission, type Permission } from './access.js';
import { actorOf, audit } from './audit-trail.js';
import { authenticator, userOf } from './auth.js';
import { isUuid } from './cursor.js';
import type { ConsoleContext } from './context.js';

/** Who may call a protected route: any logged-in user, or a role with at least one of the permissions. */
export type Allow = 'authenticated' | readonly [Permission, ...Permission[]];

/**
 * How a protected route decides which municipality a request concerns, and what a municipality outside
 * the user's scope gets (`outside`: `not_found`, answered as for one that does not exist; `left_out` of a
 * list or answer):
 *  - `{ municipality: 'path' | 'query', param }`: a parameter names the municipality (or several);
 *  - `{ entity, in, param }`: a parameter names an alarm, dispatch, citizen, schedule, consent or
 *    maintenance task, whose municipality counts;
 *  - `'user'`: nothing names one; the answer holds the user's own municipalities only;
 *  - `'all'`: concerns every municipality (the whole registry, every user's sessions): only for a user of
 *    every municipality (`*`); a user with a narrower scope is refused (403), whatever the permission;
 *  - `'none'`: not bound to a municipality (the user's own session, the shared anonymised figures); the
 *    permission alone decides.
 * Declared beside `allow` on every protected route; the README's permission matrix is generated from the
 * two (`npm run docs:permissions`), and test/security/permissions.test.ts fails for a route without one.
 */
export type RouteScope =
  | { municipality: 'path' | 'query'; param: string; outside: 'not_found' | 'left_out' }
  | {
      entity: 'alarm' | 'dispatch' | 'citizen' | 'schedule' | 'consent' | 'maintenance task';
      in: 'path' | 'query';
      param: string;
      outside: 'not_found' | 'left_out';
    }
  | 'user'
  | 'all'
  | 'none';

/** The scopes routes share. */
export const SCOPE = {
  /** `:id` is an alarm: 404 outside the scope. */
  alarmInPath: { entity: 'alarm', in: 'path', param: 'id', outside: 'not_found' },
  dispatchInPath: { entity: 'dispatch', in: 'path', param: 'id', outside: 'not_found' },
  citizenInPath: { entity: 'citizen', in: 'path', param: 'id', outside: 'not_found' },
  scheduleInPath: { entity: 'schedule', in: 'path', param: 'id', outside: 'not_found' },
  consentInPath: { entity: 'consent', in: 'path', param: 'id', outside: 'not_found' },
  maintenanceInPath: { entity: 'maintenance task', in: 'path', param: 'id', outside: 'not_found' },
  /** `?ids=` names citizens: those outside the scope are left out. */
  citizensInQuery: { entity: 'citizen', in: 'query', param: 'ids', outside: 'left_out' },
  /** A list's optional `?municipality=` filter: outside the scope the list is empty. */
  municipalityFilter: { municipality: 'query', param: 'municipality', outside: 'left_out' },
  /** `?municipality=` names what is asked for (statistics): one outside the scope is 404. */
  municipalityAsked: { municipality: 'query', param: 'municipality', outside: 'not_found' },
  municipalityInPath: { municipality: 'path', param: 'municipality', outside: 'not_found' },
} as const satisfies Record<string, RouteScope>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Protected console routes: who may call the route (see services/console/protected.ts). */
    allow?: Allow;
    /** Protected console routes: how the route's municipality is decided (see RouteScope). */
    scope?: RouteScope;
    /**
     * An audited route: a caller whose role may not call it is recorded as refused (reason `role`),
     * with the citizen or alarm its `:id` names. The route audits everything past that itself.
     */
    audit?: { action: AuditAction; id?: 'citizen' | 'alarm' };
  }
}

/** A path parameter fit to store as an id: short, no NUL, no lone surrogate. */
const storableId = (s: unknown): s is string =>
  typeof s === 'string' && s.length > 0 && s.length <= 200 && textProblem(s) === undefined;

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
    const user = userOf(req);
    try {
      requirePermission(user, ...allow);
      if (req.routeOptions.config.scope === 'all' && user.municipalities !== null)
        throw forbidden('only a user of every municipality may do this: it concerns them all');
    } catch (err) {
      const audited = req.routeOptions.config.audit;
      if (audited) {
        const id = (req.params as { id?: unknown } | undefined)?.id;
        await audit(ctx.rt.db, actorOf(req), {
          action: audited.action,
          outcome: 'refused',
          reason: 'role',
          citizenId: audited.id === 'citizen' && storableId(id) ? id : null,
          alarmId: audited.id === 'alarm' && typeof id === 'string' && isUuid(id) ? id : null,
        });
      }
      throw err;
    }
  });

  for (const routePlugin of routes) await app.register(routePlugin, ctx);
};
