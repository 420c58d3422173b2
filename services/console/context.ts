// What the console's routes share.
import type { ConsoleMetrics } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';
import { requirePermission, type Permission } from './access.js';
import { authenticator, userOf, type AuthRequest } from './auth.js';
import type { LiveHub } from './live-hub.js';

type Hook = (req: AuthRequest) => Promise<void>;

export type ConsoleContext = {
  rt: Runtime;
  metrics: ConsoleMetrics;
  hub: LiveHub;
  /** onRequest hooks: 401 without a valid session. */
  authenticate: Hook;
  /**
   * onRequest hooks: 401 without a valid session, then 403 unless the role has one of these
   * permissions. Both run before the body is read or validated, so a refusal reveals nothing.
   */
  guard(...anyOf: Permission[]): Hook[];
};

export function consoleContext(rt: Runtime, metrics: ConsoleMetrics, hub: LiveHub): ConsoleContext {
  const authenticate = authenticator(rt.db);
  return {
    rt,
    metrics,
    hub,
    authenticate,
    guard: (...anyOf) => [authenticate, async (req) => requirePermission(userOf(req), ...anyOf)],
  };
}

/** OpenAPI: every console route but login takes the bearer token or the session cookie. */
export const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
