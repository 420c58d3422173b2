// The console API as the page uses it: the session is the HttpOnly cookie login sets, so every call
// and the live feed are authenticated by the browser itself.
import type { AlarmView, CitizenCard, LiveMessage } from '../../domain/views.js';
import type { WebhookView } from '../../domain/webhooks.js';

export type { CitizenCard, WebhookView };

export type User = { username: string; role: string; municipalities: string[] | 'all' };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new ApiError(res.status, data.message ?? res.statusText);
  return data as T;
}

export const me = () => call<{ user: User }>('GET', '/v1/auth/me').then((r) => r.user);
export const login = (username: string, password: string) =>
  call<{ user: User }>('POST', '/v1/auth/login', { username, password }).then((r) => r.user);
export const logout = () => call('POST', '/v1/auth/logout', {});
export const claim = (id: string) => call<AlarmView>('POST', `/v1/alarms/${encodeURIComponent(id)}/claim`, {});

export type Outcome = NonNullable<AlarmView['triage']>['class'];

/** One alarm with the citizen's card, for roles that may read it (the read is audited). */
export const alarm = (id: string) =>
  call<AlarmView & { citizen?: CitizenCard | null }>('GET', `/v1/alarms/${encodeURIComponent(id)}`);
/** The operator's decision: false alarm, settled by phone, or a dispatch (which requests one). */
export const resolve = (id: string, outcome: Outcome, note: string) =>
  call<AlarmView>('POST', `/v1/alarms/${encodeURIComponent(id)}/resolve`, { outcome, ...(note ? { note } : {}) });

/** The health of the webhooks to the care-planning systems of the user's municipalities. */
export const webhooks = () => call<{ webhooks: WebhookView[] }>('GET', '/v1/webhooks').then((r) => r.webhooks);

export type FeedHandlers = {
  message(m: LiveMessage): void;
  closed(): void;
};

/** Open the live feed, replaying every change after `since` when given. */
export function openFeed(since: number | null, on: FeedHandlers): WebSocket {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/v1/live${since === null ? '' : `?since=${since}`}`);
  ws.onmessage = (e) => on.message(JSON.parse(String(e.data)) as LiveMessage);
  ws.onclose = () => on.closed();
  return ws;
}
