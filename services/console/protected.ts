// Deny by default: every console route but the public ones (CONSOLE_PUBLIC_ROUTES in app.ts) is
// registered inside protectedRoutes. Its hook authenticates the session (bearer token or cookie),
// then checks the access the route declares in `config.allow`; a route that declares none stops the
// console from starting. Both checks run before the body is read or validated and before anything is
// looked up, so a 401 or 403 reveals nothing. Route-level onRequest hooks run after them.
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

const declaresAccess = (allow: unknown): allow is Allow =>
  allow === 'authenticated' || (Array.isArray(allow) && allow.length > 0);

export type ProtectedRoutesOptions = {
  ctx: ConsoleContext;
  /** Route plugins; each is registered with the context as its options. */
  routes: readonly HttpPlugin<ConsoleContext>[];
};

export const protectedRoutes: HttpPlugin<ProtectedRoutesOptions> = async (app, { ctx, routes }) => {
  const authenticate = authenticator(ctx.rt.db);

  app.addHook('onRoute', (route) => {
    if (!declaresAccess(route.config?.allow))
      throw new Error(
        `console route ${String(route.method)} ${route.url} declares no access: set config.allow to 'authenticated' or the permissions it needs`,
      );
  });

  app.addHook('onRequest', async (req) => {
    await authenticate(req);
    const allow = req.routeOptions.config.allow;
    if (allow === 'authenticated') return;
    if (!declaresAccess(allow)) throw forbidden();
    requirePermission(userOf(req), ...allow);
  });

  for (const routePlugin of routes) await app.register(routePlugin, ctx);
};
