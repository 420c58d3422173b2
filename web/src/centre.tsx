// The centre as a whole: who is on duty (a warning below two: one person alone is not a responsible
// staffing), whether triage keeps up (alarms still appear, untriaged, when it does not), webhooks to home
// care that fail, and for supervisors the centre view: waiting alarms and the longest wait, escalations,
// the share answered within 60 s per municipality, the triage queue and workers, silent gateways.
import { computed } from '@preact/signals';
import { alarms } from './feed.js';
import { centre, webhookStatus } from './health.js';
import { locale, t } from './i18n.js';
import { municipalityName } from './municipalities.js';
import { dateTime, duration, now } from './time.js';

/**
 * Triage normally classifies an alarm within milliseconds, and the reconciler takes over any alarm left
 * untriaged for a few seconds (RECONCILE_AFTER_SECONDS, 3): one untriaged this long means triage is down.
 */
const UNTRIAGED_BEHIND_SECONDS = 15;

/** Untriaged alarms on the board for longer than triage ever needs when it runs. */
const staleUntriaged = computed(() => {
  const limit = now.value - UNTRIAGED_BEHIND_SECONDS * 1000;
  let count = 0;
  let oldest = Infinity;
  for (const a of alarms.value.values())
    if (a.triage === null) {
      const at = Date.parse(a.receivedAt);
      if (at < limit) count++;
      oldest = Math.min(oldest, at);
    }
  return { count, oldestSeconds: count > 0 ? Math.floor((now.value - oldest) / 1000) : 0 };
});

export function TriageBanner() {
  const c = centre.value?.triage;
  const stale = staleUntriaged.value;
  if (!c?.behind && stale.count === 0) return null;
  const untriaged = Math.max(c?.untriaged ?? 0, stale.count);
  const oldest = Math.max(c?.oldestUntriagedSeconds ?? 0, stale.oldestSeconds);
  return (
    <p class="banner warning triage-banner" role="alert">
      <span aria-hidden="true">⚠ </span>
      <strong>{t('triage.behind')}</strong> {t('triage.waiting', { count: untriaged, time: duration(oldest) })}
      {c && ` ${t('triage.queue', { depth: c.queueDepth, workers: c.workersOnline })}`} {t('triage.stillShown')}
    </p>
  );
}

export function WebhookBanner() {
  const failing = (webhookStatus.value ?? []).filter((w) => w.alert);
  if (failing.length === 0) return null;
  return (
    <p class="banner warning webhook-banner" role="alert">
      <span aria-hidden="true">⚠ </span>
      {failing.map((w, k) => (
        <span key={w.municipality}>
          {k > 0 && ' · '}
          {t('webhooks.alert', {
            municipality: municipalityName(w.municipality),
            time: w.failingSince ? dateTime(w.failingSince) : '–',
          })}
          {w.lastError && ` (${w.lastError})`}
        </span>
      ))}
    </p>
  );
}

export function StaffingLine() {
  const s = centre.value?.staffing;
  if (!s) return null;
  const names = s.operatorsOnline.map((o) => o.username);
  return (
    <p class={s.warning ? 'staffing warning' : 'staffing'}>
      {s.warning && <span aria-hidden="true">⚠ </span>}
      <strong>{t('staffing.online', { count: names.length })}</strong>
      {names.length > 0 && `: ${names.join(', ')}`}
      {s.warning && <strong> · {t('staffing.warning')}</strong>}
    </p>
  );
}

const percent = (share: number | null) =>
  share === null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(share);

/** Supervisors' and administrators' view of the centre. */
export function CentrePanel() {
  const c = centre.value;
  if (!c) return null;
  return (
    <section class="centre" aria-labelledby="centre-title">
      <h2 id="centre-title">{t('centre.title')}</h2>
      <table class="compact">
        <thead>
          <tr>
            <th scope="col">{t('board.municipality')}</th>
            <th scope="col">{t('centre.waiting')}</th>
            <th scope="col">{t('centre.longest')}</th>
            <th scope="col">{t('centre.escalations')}</th>
            <th scope="col">{t('centre.within60Hour')}</th>
            <th scope="col">{t('centre.within60Today')}</th>
          </tr>
        </thead>
        <tbody>
          {c.municipalities.map((m) => (
            <tr key={m.id} data-municipality={m.id}>
              <th scope="row">{m.name}</th>
              <td>{m.waiting}</td>
              <td>{m.longestWaitSeconds === null ? '–' : duration(m.longestWaitSeconds)}</td>
              <td class={m.escalations > 0 ? 'escalated-text' : undefined}>{m.escalations}</td>
              <td>{percent(m.answeredWithin60s.lastHour)}</td>
              <td>{percent(m.answeredWithin60s.today)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class={c.triage.behind ? 'warning' : undefined}>
        {t('centre.triage', {
          depth: c.triage.queueDepth,
          workers: c.triage.workersOnline,
          untriaged: c.triage.untriaged,
        })}
      </p>
      <h3>{t('centre.silentGateways', { count: c.silentGateways.length })}</h3>
      {c.silentGateways.length > 0 && (
        <ul class="silent">
          {c.silentGateways.map((g) => (
            <li key={g.id} class="warning">
              <span aria-hidden="true">⚠ </span>
              {g.name} ({g.id}): {t('centre.silentFor', { time: duration(g.silentSeconds) })}
              {g.lastHeartbeatAt && ` · ${t('centre.lastHeartbeat', { time: dateTime(g.lastHeartbeatAt) })}`}
            </li>
          ))}
        </ul>
      )}
      <p class="sub">{t('centre.at', { time: dateTime(c.at) })}</p>
    </section>
  );
}
