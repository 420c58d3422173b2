// What the console's routes share.
import type { ConsoleMetrics } from '../../platform/metrics.js';
import type { Runtime } from '../../platform/runtime.js';
import type { LiveHub } from './live-hub.js';

export type ConsoleContext = {
  rt: Runtime;
  metrics: ConsoleMetrics;
  hub: LiveHub;
};

export function consoleContext(rt: Runtime, metrics: ConsoleMetrics, hub: LiveHub): ConsoleContext {
  return { rt, metrics, hub };
}

/** OpenAPI: every console route but login takes the bearer token or the session cookie. */
export const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
