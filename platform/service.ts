// The one shape of a service (ingest, worker, console): services/<service>/app.ts builds it, ready for
// inject() without listening; bin/start.ts listens, handles signals and shuts services down in order.
import type { HttpApp } from './http.js';

export type ServiceApp = {
  app: HttpApp;
  /**
   * Stop in the service's own order: stop taking new work (new requests get 503), finish what is in
   * flight, release what the service opened. The shared runtime stays open.
   */
  close(): Promise<void>;
};

/** A service listening, as the process entry point sees it. */
export type RunningService = {
  name: string;
  /** Where its HTTP endpoints listen, e.g. http://127.0.0.1:8080. */
  url: string;
  /** The service's close(): see ServiceApp. */
  close(): Promise<void>;
};
