// What the console's routes share.
import { LoginThrottle, type LoginThrottleOptions } from '../../platform/login-throttle.js';
import type { ConsoleMetrics } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';
import type { LiveHub } from './live-hub.js';

export type ConsoleContext = {
  rt: Runtime;
  metrics: ConsoleMetrics;
  hub: LiveHub;
  /** Failed logins, counted in Redis across every console instance. */
  loginThrottle: LoginThrottle;
};

export function consoleContext(
  rt: Runtime,
  metrics: ConsoleMetrics,
  hub: LiveHub,
  throttle: Partial<LoginThrottleOptions> = {},
): ConsoleContext {
  return { rt, metrics, hub, loginThrottle: new LoginThrottle(rt.redis, rt.config.redisPrefix, throttle) };
}

/** OpenAPI: every console route but login takes the bearer token or the session cookie. */
export const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
