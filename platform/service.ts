// A running service, as the process entry point sees it.
export type RunningService = {
  name: string;
  /** Where its HTTP endpoints listen, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stop taking new work (503 for new requests), finish what is in flight, release connections. */
  close(): Promise<void>;
};
