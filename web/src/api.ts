// The console API as the page uses it: the session is the HttpOnly cookie login sets, so every call
// and the live feed are authenticated by the browser itself.
import type { MonthlyStatistics, MonthRow } from '../../domain/statistics-views.js';
import type {
  AlarmView,
  CitizenCard,
  DispatchView,
  LiveMessage,
  MaintenanceTaskView,
  MunicipalityView,
} from '../../domain/views.js';

export type { AlarmView, DispatchView, MonthlyStatistics, MonthRow };

export type Role = 'operator' | 'supervisor' | 'planner' | 'analyst' | 'admin';
export type User = { username: string; role: Role; municipalities: string[] | '*' };

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
    // Every request says it comes from the console's own page (services/console/protected.ts).
    headers: {
      'x-requested-with': 'responscenter',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new ApiError(res.status, data.message ?? res.statusText);
  return data as T;
}

/**
 * Null when this console does not serve the endpoint (yet) or not to this role: the widget built on
 * it is hidden rather than broken.
 */
async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return null;
    throw err;
  }
}

const enc = encodeURIComponent;

// ---- Session ----

export const me = () => call<{ user: User }>('GET', '/v1/auth/me').then((r) => r.user);
export const login = (username: string, password: string) =>
  call<{ user: User }>('POST', '/v1/auth/login', { username, password }).then((r) => r.user);
export const logout = () => call('POST', '/v1/auth/logout', {});

// ---- Alarms ----

export type Outcome = NonNullable<AlarmView['triage']>['class'];

/** One of the citizen's alarms of the last 30 days, on the card read for an alarm (additive). */
export type RecentAlarm = {
  id: string;
  type: AlarmView['type'];
  receivedAt: string;
  outcome: Outcome | null;
  triageClass: Outcome | null;
};
export type Card = CitizenCard & { recentAlarms?: RecentAlarm[] };

export const claim = (id: string) => call<AlarmView>('POST', `/v1/alarms/${enc(id)}/claim`, {});
/** One alarm with the citizen's card, for roles that may read it (the read is audited). */
export const alarm = (id: string) => call<AlarmView & { citizen?: Card | null }>('GET', `/v1/alarms/${enc(id)}`);
/** What a planned call's or night check's result may be (domain/planned.ts CARE_RESULTS). */
export type CareResult =
  'reached_well' | 'reached_needs_help' | 'not_reached' | 'seen_calm' | 'seen_needs_help' | 'not_seen';
/**
 * The operator's decision: false alarm, settled by phone, or a dispatch (which requests one); on a
 * planned call or night check its result, with a follow-up when the citizen needs help.
 */
export const resolve = (id: string, outcome: Outcome | CareResult, note: string, followUp?: 'dispatch' | 'phone') =>
  call<AlarmView>('POST', `/v1/alarms/${enc(id)}/resolve`, {
    outcome,
    ...(note ? { note } : {}),
    ...(followUp ? { followUp } : {}),
  });

// ---- Registry ----

export type Municipality = MunicipalityView;
export const municipalities = () =>
  call<{ municipalities: Municipality[] }>('GET', '/v1/municipalities').then((r) => r.municipalities);

export type CitizenName = { id: string; municipality: string; name: string; address: string };
/** Names and addresses for a board's rows, at most 200 ids (each returned citizen is an audited read). */
export const citizenNames = (ids: readonly string[]) =>
  call<{ citizens: CitizenName[] }>('GET', `/v1/citizens?ids=${ids.map(enc).join(',')}`).then((r) => r.citizens);
/** The card (audited); a planner may read it while a dispatch for the citizen is open. */
export const citizenCard = (id: string, alarmId?: string) =>
  call<Card>('GET', `/v1/citizens/${enc(id)}${alarmId ? `?alarm=${enc(alarmId)}` : ''}`);

// ---- Dispatches ----

export type DispatchStatus = DispatchView['status'];
export type WebhookDelivery = { status: WebhookState; attempts: number; lastError: string | null };
/** A dispatch as lists show it: possibly with its webhook delivery (additive). */
export type Dispatch = DispatchView & { webhook?: WebhookDelivery | null };

/** Open dispatches (the live feed has them too; the list adds each one's webhook delivery where served). */
export const openDispatches = () =>
  call<{ dispatches: Dispatch[] }>('GET', '/v1/dispatches?status=open&limit=1000').then((r) => r.dispatches);

export const setDispatchStatus = (id: string, status: DispatchStatus, team?: string) =>
  call<Dispatch>('POST', `/v1/dispatches/${enc(id)}/status`, team === undefined ? { status } : { status, team });

export type WebhookState = 'delivered' | 'failing' | 'pending' | 'none';
export type WebhookStatus = {
  municipality: string;
  status: WebhookState;
  lastDeliveredAt: string | null;
  failingSince: string | null;
  pending: number;
  lastError: string | null;
  alert: boolean;
};
/** Each municipality's webhook to home care; null where not served. */
export const webhooks = () =>
  optional(call<{ webhooks: WebhookStatus[] }>('GET', '/v1/webhooks')).then((r) => r?.webhooks ?? null);

// ---- The centre ----

export type Centre = {
  at: string;
  staffing: { operatorsOnline: { username: string; role: Role; municipalities: string[] | '*' }[]; warning: boolean };
  triage: {
    untriaged: number;
    oldestUntriagedSeconds: number | null;
    queueDepth: number;
    workersOnline: number;
    behind: boolean;
  };
  municipalities: {
    id: string;
    name: string;
    waiting: number;
    longestWaitSeconds: number | null;
    escalations: number;
    answeredWithin60s: { lastHour: number | null; today: number | null };
  }[];
  silentGateways: { id: string; name: string; lastHeartbeatAt: string | null; silentSeconds: number }[];
};
/** The centre's state (staffing, triage health, per municipality); null where not served. */
export const centre = () => optional(call<Centre>('GET', '/v1/centre'));

// ---- The live feed ----

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

// ---- Statistics ----

const statsQuery = (municipalities: readonly string[], from: string, to: string) =>
  `municipality=${municipalities.map(enc).join(',')}&from=${enc(from)}&to=${enc(to)}`;

/** Monthly figures of the municipalities, side by side, from `from` to `to` (YYYY-MM, Copenhagen months). */
export const monthlyStatistics = (municipalities: readonly string[], from: string, to: string) =>
  call<MonthlyStatistics>('GET', `/v1/stats/monthly?${statsQuery(municipalities, from, to)}`);

/** The same figures as CSV (`semicolon`: for Danish spreadsheets), as the file the server writes. */
export async function monthlyStatisticsCsv(
  municipalities: readonly string[],
  from: string,
  to: string,
  sep: 'comma' | 'semicolon',
): Promise<Blob> {
  const res = await fetch(`/v1/stats/monthly?${statsQuery(municipalities, from, to)}&format=csv&sep=${sep}`, {
    credentials: 'same-origin',
    headers: { 'x-requested-with': 'responscenter', accept: 'text/csv' },
  });
  if (!res.ok) {
    const data = (await res.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(res.status, data.message ?? res.statusText);
  }
  return res.blob();
}
// ---- Maintenance tasks ----

export type MaintenanceTask = MaintenanceTaskView;
/** Open maintenance tasks of the user's municipalities; null where not served. */
export const openMaintenance = () =>
  optional(call<{ tasks: MaintenanceTask[] }>('GET', '/v1/maintenance?status=open&limit=1000')).then(
    (r) => r?.tasks ?? null,
  );
export const closeMaintenance = (id: string) => call<MaintenanceTask>('POST', `/v1/maintenance/${enc(id)}/close`, {});
// ---- Planned calls and night checks (supervisors, admins) ----

export type ScheduleView = {
  id: string;
  citizenId: string;
  municipality: string;
  kind: 'planned_call' | 'night_check';
  times: string[];
  days: number[];
  windowMinutes: number;
  activeFrom: string;
  activeTo: string | null;
  note: string;
};
export type ConsentView = {
  id: string;
  givenBy: 'citizen' | 'representative';
  representativeName: string | null;
  givenAt: string;
  recordedBy: string;
  withdrawnAt: string | null;
  inForce: boolean;
};
export const citizenPlan = (citizenId: string) =>
  call<{ schedules: ScheduleView[]; consents: ConsentView[] }>('GET', `/v1/citizens/${enc(citizenId)}/schedules`);
export const addSchedule = (
  citizenId: string,
  body: { kind: ScheduleView['kind']; times: string[]; windowMinutes?: number },
) => call<ScheduleView>('POST', `/v1/citizens/${enc(citizenId)}/schedules`, body);
export const deleteSchedule = (id: string) => call<null>('DELETE', `/v1/schedules/${enc(id)}`);
export const recordConsent = (citizenId: string, representativeName: string) =>
  call<ConsentView>(
    'POST',
    `/v1/citizens/${enc(citizenId)}/consents`,
    representativeName ? { givenBy: 'representative', representativeName } : { givenBy: 'citizen' },
  );
export const withdrawConsent = (id: string) => call<ConsentView>('POST', `/v1/consents/${enc(id)}/withdraw`, {});
