// LISTEN on a Postgres channel with a connection of its own (a pooled one cannot hold a LISTEN),
// reconnecting after a loss. Notifications are delivered at COMMIT of the transaction that sent them.
import pg from 'pg';

export type Listener = { close(): Promise<void> };

/**
 * Call `onNotify(payload)` for every notification on `channel`, and `onReconnect()` after the
 * connection was lost and is back (notifications sent meanwhile are lost: re-check then).
 */
export function listen(
  databaseUrl: string,
  channel: string,
  handlers: {
    onNotify(payload: string): void;
    /** After every LISTEN that took effect, the first one and those after a reconnect. */
    onListening?(): void;
    onReconnect?(): void;
    onError?(err: Error): void;
  },
  retryMs = 1000,
): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lost = false;

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'responscenter-listen' });
    client = c;
    const retry = (err: Error) => {
      if (client !== c) return;
      client = null;
      lost = true;
      c.removeAllListeners();
      c.on('error', () => {});
      c.end().catch(() => {});
      handlers.onError?.(err);
      if (!closed) timer = setTimeout(() => void connect(), retryMs);
    };
    c.on('error', retry);
    c.on('end', () => retry(new Error('listen connection ended')));
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.onNotify(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      handlers.onListening?.();
      if (lost) handlers.onReconnect?.();
      lost = false;
    } catch (err) {
      retry(err as Error);
    }
  };
  void connect();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
