// An operator's client of the console: log in, then follow the live feed (contract: GET /v1/live) over a
// WebSocket with the Bearer token, resuming with ?since= after a dropped connection.
import WebSocket from 'ws';
import type { AlarmView, LiveMessage } from '../../domain/views.js';
import { JsonClient } from './http.js';

export async function login(consoleUrl: string, username: string, password: string): Promise<string> {
  const http = new JsonClient(consoleUrl);
  try {
    const res = await http.post('/v1/auth/login', { username, password });
    const token = (res.body as { token?: string } | undefined)?.token;
    if (res.status !== 200 || !token) throw new Error(`login as ${username} answered ${res.status}`);
    return token;
  } finally {
    http.close();
  }
}

export type LiveFeedHandlers = {
  /** An alarm created or changed after the catch-up; `at` is performance.now() on arrival. */
  onAlarm(alarm: AlarmView, at: number): void;
  onError?(err: Error): void;
};

export class LiveFeed {
  private socket: WebSocket | undefined;
  private lastSeq: number | undefined;
  private synced = false;
  private closing = false;

  private constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: LiveFeedHandlers,
  ) {}

  /** Connected and caught up (the server has sent `synced`). */
  static async open(consoleUrl: string, token: string, handlers: LiveFeedHandlers): Promise<LiveFeed> {
    const feed = new LiveFeed(consoleUrl.replace(/^http/, 'ws') + '/v1/live', token, handlers);
    await feed.connect();
    return feed;
  }

  close(): void {
    this.closing = true;
    this.socket?.close(1000);
  }

  private connect(): Promise<void> {
    const since = this.lastSeq === undefined ? '' : `?since=${this.lastSeq}`;
    const socket = new WebSocket(this.url + since, { headers: { authorization: `Bearer ${this.token}` } });
    this.socket = socket;
    this.synced = this.lastSeq !== undefined; // a resumed feed replays only what we have not seen
    return new Promise((resolve, reject) => {
      socket.on('message', (data) => {
        const at = performance.now();
        const msg = JSON.parse(String(data)) as LiveMessage;
        if (msg.type === 'synced') {
          this.synced = true;
          resolve();
        } else if (msg.type === 'alarm' && this.synced) this.handlers.onAlarm(msg.alarm, at);
        this.lastSeq = Math.max(this.lastSeq ?? 0, msg.seq);
        if (this.synced) resolve();
      });
      socket.on('error', (err) => {
        this.handlers.onError?.(err);
        reject(err);
      });
      socket.on('close', () => {
        if (this.closing) return;
        // Resume from the last seq seen: nothing missed, nothing twice (contract: live feed).
        setTimeout(() => void this.connect().catch(() => {}), 1000);
      });
    });
  }
}
