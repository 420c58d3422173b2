// The operator console: log in, then the live board of open alarms, most urgent first.
//
// The board is the live feed (GET /v1/live): the snapshot of open alarms, then every change. After a
// dropped connection it reconnects with `since` = the highest seq it has seen, so it misses nothing and
// shows nothing twice (contract: Live feed).
import { computed, effect, signal } from '@preact/signals';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AlarmView, LiveMessage } from '../../domain/views.js';
import {
  alarm as readAlarm,
  ApiError,
  claim,
  login,
  logout,
  me,
  openFeed,
  resolve,
  webhooks,
  type CitizenCard,
  type Outcome,
  type User,
  type WebhookView,
} from './api.js';
import { text, typeName, triageName } from './text.js';
import './styles.css';

const user = signal<User | null | undefined>(undefined);
const alarms = signal<ReadonlyMap<string, AlarmView>>(new Map());
const connection = signal<'connecting' | 'live' | 'offline'>('connecting');
const notice = signal<string | null>(null);
const now = signal(Date.now());
/** The alarm whose detail is open. */
const selected = signal<string | null>(null);
setInterval(() => (now.value = Date.now()), 1000);

/** The webhooks of the user's municipalities (GET /v1/webhooks), read every WEBHOOK_POLL_MS. */
const webhookHealth = signal<readonly WebhookView[]>([]);
const WEBHOOK_POLL_MS = 15_000;
let webhookRead: ReturnType<typeof setTimeout> | undefined;

/** Read the webhooks' health after `delayMs` (a dispatch change is delivered within moments). */
function readWebhooksSoon(delayMs = 0): void {
  clearTimeout(webhookRead);
  webhookRead = setTimeout(() => {
    webhooks().then(
      (w) => {
        if (user.value) webhookHealth.value = w;
      },
      () => undefined,
    );
  }, delayMs);
}

effect(() => {
  if (!user.value) return;
  readWebhooksSoon();
  const timer = setInterval(() => readWebhooksSoon(), WEBHOOK_POLL_MS);
  return () => clearInterval(timer);
});

let seq: number | null = null;
let socket: WebSocket | null = null;
let retry: ReturnType<typeof setTimeout> | undefined;

function onMessage(m: LiveMessage): void {
  if (m.type === 'synced') {
    connection.value = 'live';
    seq = Math.max(seq ?? 0, m.seq);
    return;
  }
  seq = Math.max(seq ?? 0, m.seq);
  if (m.type === 'dispatch') readWebhooksSoon(1500);
  if (m.type !== 'alarm') return;
  const next = new Map(alarms.value);
  if (m.alarm.status === 'resolved') next.delete(m.alarm.id);
  else next.set(m.alarm.id, m.alarm);
  alarms.value = next;
}

function connect(): void {
  clearTimeout(retry);
  connection.value = 'connecting';
  // A socket left over from an earlier session may still deliver or close: only the current one counts.
  const ws: WebSocket = openFeed(seq, {
    message: (m) => {
      if (socket === ws) onMessage(m);
    },
    closed: () => {
      if (socket !== ws) return;
      socket = null;
      if (!user.value) return;
      connection.value = 'offline';
      retry = setTimeout(reconnect, 1000);
    },
  });
  socket = ws;
}

/** After a drop: go on with the same session, or back to the login when it has ended. */
function reconnect(): void {
  me().then(
    () => connect(),
    (err) => {
      if (err instanceof ApiError && err.status === 401) signOut();
      else retry = setTimeout(reconnect, 1000);
    },
  );
}

/** Forget everything the session showed, so the next user of this browser starts from nothing. */
function signOut(): void {
  clearTimeout(retry);
  user.value = null;
  selected.value = null;
  notice.value = null;
  alarms.value = new Map();
  clearTimeout(webhookRead);
  webhookHealth.value = [];
  seq = null;
  socket?.close();
  socket = null;
}

effect(() => {
  if (user.value && !socket) connect();
});

/** Untriaged alarms first (their urgency is not known yet), then by priority, then the longest waiting. */
const board = computed(() =>
  [...alarms.value.values()].sort(
    (a, b) =>
      (a.triage?.priority ?? 0) - (b.triage?.priority ?? 0) || Date.parse(a.receivedAt) - Date.parse(b.receivedAt),
  ),
);

const waited = (a: AlarmView) => {
  const s = Math.max(0, Math.round((now.value - Date.parse(a.receivedAt)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

async function take(a: AlarmView): Promise<void> {
  notice.value = null;
  try {
    await claim(a.id);
    selected.value = a.id;
  } catch (err) {
    notice.value = err instanceof ApiError && err.status === 409 ? text.claimedByOther : text.failed;
  }
}

// N takes the most urgent alarm nobody holds (not while typing).
addEventListener('keydown', (e) => {
  if (e.key.toLowerCase() !== 'n' || e.ctrlKey || e.metaKey || e.altKey || !user.value) return;
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
  const next = board.value.find((a) => a.claimedBy === null);
  if (next) void take(next);
});

const OUTCOMES: Outcome[] = ['false_alarm', 'phone_resolvable', 'dispatch'];

/** One alarm: the citizen's card (read, and audited, when opened), the triage's reasons, the decision. */
function Detail({ id }: { id: string }) {
  const live = alarms.value.get(id);
  const [card, setCard] = useState<CitizenCard | null | undefined>(undefined);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setCard(undefined);
    readAlarm(id).then(
      (a) => setCard(a.citizen ?? null),
      () => setCard(null),
    );
  }, [id]);
  if (!live) return null;
  const decide = async (outcome: Outcome) => {
    setError(null);
    try {
      await resolve(id, outcome, note);
      selected.value = null;
    } catch (err) {
      setError(err instanceof ApiError && err.status === 409 ? text.claimedByOther : text.failed);
    }
  };
  return (
    <aside class="detail" aria-label={`${typeName(live.type)} ${live.deviceId}`}>
      <button class="close" onClick={() => (selected.value = null)}>
        {text.close}
      </button>
      <h2>
        {typeName(live.type)} · {live.municipality}
      </h2>
      {card === undefined ? (
        <p>{text.loading}</p>
      ) : card === null ? (
        <p>{text.noCitizen}</p>
      ) : (
        <dl class="card">
          <dt>{text.citizen}</dt>
          <dd>{card.name}</dd>
          <dt>{text.address}</dt>
          <dd>{card.address}</dd>
          <dt>{text.phone}</dt>
          <dd>{card.phone}</dd>
          <dt>{text.keySafe}</dt>
          <dd>{card.keySafe}</dd>
          <dt>{text.notes}</dt>
          <dd>{card.notes}</dd>
        </dl>
      )}
      {live.triage && (
        <>
          <h3>{text.reasons}</h3>
          <ul>
            {live.triage.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </>
      )}
      <h3>{text.decision}</h3>
      <label>
        {text.note}
        <textarea value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <div class="decisions">
        {OUTCOMES.map((o) => (
          <button key={o} onClick={() => decide(o)}>
            {triageName(o)}
          </button>
        ))}
      </div>
      {error && <p role="alert">{error}</p>}
    </aside>
  );
}

const clock = (iso: string) => new Date(iso).toLocaleTimeString('da-DK', { hour: '2-digit', minute: '2-digit' });

/**
 * The webhooks to the municipalities' care-planning systems: delivered, waiting or failing; one
 * failing for longer than the centre's limit is an alert, since the visits it should carry must then
 * be phoned through.
 */
function Webhooks() {
  const shown = webhookHealth.value.filter((w) => w.status !== 'none');
  if (shown.length === 0) return null;
  const alerting = shown.filter((w) => w.alert).map((w) => w.municipality);
  return (
    <section class="webhooks" aria-label={text.webhooks.title}>
      {alerting.length > 0 && (
        <p role="alert" class="webhook-alert">
          {text.webhooks.alert(alerting)}
        </p>
      )}
      <ul>
        {shown.map((w) => (
          <li key={w.municipality} class={`webhook ${w.status}`} data-webhook={w.municipality}>
            {w.municipality}: {text.webhooks.status[w.status]}
            {w.failingSince && ` ${text.webhooks.since(clock(w.failingSince))}`}
            {w.lastError && ` (${w.lastError})`}
            {w.pending > 0 && ` · ${text.webhooks.waiting(w.pending)}`}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      user.value = await login(username, password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? text.wrongLogin : text.failed);
    }
  };
  return (
    <main class="login">
      <h1>Responscenter</h1>
      <form onSubmit={submit}>
        <label>
          {text.username}
          <input
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          {text.password}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit">{text.logIn}</button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Board({ who }: { who: User }) {
  const rows = board.value;
  return (
    <main>
      <header>
        <h1>Responscenter</h1>
        <span class={`connection ${connection.value}`} role="status">
          {text.connection[connection.value]}
        </span>
        <span>{who.username}</span>
        <button
          onClick={async () => {
            await logout().catch(() => undefined);
            signOut();
          }}
        >
          {text.logOut}
        </button>
      </header>
      {notice.value && <p role="alert">{notice.value}</p>}
      <Webhooks />
      <p class="hint">{text.keyboard}</p>
      {selected.value && <Detail id={selected.value} />}
      <table class="board">
        <caption>{text.openAlarms(rows.length)}</caption>
        <thead>
          <tr>
            <th>{text.municipality}</th>
            <th>{text.type}</th>
            <th>{text.device}</th>
            <th>{text.triage}</th>
            <th>{text.waiting}</th>
            <th>{text.holder}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id} class={a.claimedBy ? 'taken' : 'unanswered'} data-alarm={a.id}>
              <td>{a.municipality}</td>
              <td>{typeName(a.type)}</td>
              <td>{a.unknownDevice ? `${text.unknownDevice} (${a.deviceId})` : a.deviceId}</td>
              <td>
                {a.triage ? (
                  <>
                    <strong>{triageName(a.triage.class)}</strong> · P{a.triage.priority} · {a.triage.reasons[0]}
                  </>
                ) : (
                  <em>{text.untriaged}</em>
                )}
              </td>
              <td>{waited(a)}</td>
              <td>
                {a.claimedBy ?? <button onClick={() => take(a)}>{text.claim}</button>}{' '}
                <button onClick={() => (selected.value = a.id)}>{text.open}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function App() {
  const who = user.value;
  if (who === undefined) return <p>{text.loading}</p>;
  return who ? <Board who={who} /> : <Login />;
}

me().then(
  (u) => (user.value = u),
  () => (user.value = null),
);
render(<App />, document.getElementById('app')!);
