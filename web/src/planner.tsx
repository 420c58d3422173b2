// The home-care planners' board: the dispatches of their municipality, live from the feed, newest first
// (escalated ones on top): where to go, how to get in, what happened and what the operator said. The
// planner moves each one on: accepted (with the team), en route, arrived, completed, or cancelled; the
// operators see it at once. Opening a dispatch reads the citizen's card (audited) for the key safe,
// phone and care notes.
import { computed } from '@preact/signals';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, citizenCard, setDispatchStatus, type Card, type Dispatch, type DispatchStatus } from './api.js';
import { flashing } from './announce.js';
import { citizenLabel, dispatchList, StatusBadge } from './dispatches.js';
import { isFinal } from './feed.js';
import { dispatchDelivery, webhookStatus } from './health.js';
import { t } from './i18n.js';
import { municipalityName } from './municipalities.js';
import { dateTime, duration, secondsSince, clockTime } from './time.js';

const FORWARD = ['accepted', 'en_route', 'arrived', 'completed'] as const;

/**
 * The statuses a planner may move an open dispatch to: forward only, and steps may be skipped (the
 * server allows it), except that a requested dispatch is first accepted, by a named team.
 */
const nextStatuses = (s: DispatchStatus): readonly (typeof FORWARD)[number][] =>
  s === 'requested' ? ['accepted'] : FORWARD.slice(FORWARD.indexOf(s as (typeof FORWARD)[number]) + 1);

const open = computed(() =>
  dispatchList.value
    .filter((d) => !isFinal(d))
    .sort((a, b) => Number(Boolean(b.escalation)) - Number(Boolean(a.escalation))),
);
const finished = computed(() => dispatchList.value.filter(isFinal));

function WebhookLine() {
  const list = webhookStatus.value;
  if (!list || list.length === 0) return null;
  return (
    <ul class="webhooks" aria-label={t('webhooks.label')}>
      {list.map((w) => (
        <li key={w.municipality} class={`webhook ${w.status}`}>
          <span aria-hidden="true">{w.status === 'failing' ? '✕ ' : w.status === 'delivered' ? '✓ ' : '○ '}</span>
          {municipalityName(w.municipality)}: {t(`webhooks.status.${w.status}`)}
          {w.status === 'failing' && w.failingSince && ` ${t('webhooks.since', { time: dateTime(w.failingSince) })}`}
          {w.status === 'delivered' &&
            w.lastDeliveredAt &&
            ` ${t('webhooks.lastDelivered', { time: dateTime(w.lastDeliveredAt) })}`}
          {w.pending > 0 && ` · ${t('webhooks.pending', { count: w.pending })}`}
        </li>
      ))}
    </ul>
  );
}

function CardDetails({ d }: { d: Dispatch }) {
  const [card, setCard] = useState<Card | null | undefined>(undefined);
  const [shown, setShown] = useState(false);
  if (d.citizenId === null) return null;
  const read = () => {
    setShown(true);
    citizenCard(d.citizenId!, d.alarmId).then(setCard, () => setCard(null));
  };
  if (!shown)
    return (
      <button type="button" onClick={read}>
        {t('planner.openCard')}
      </button>
    );
  if (card === undefined) return <p>{t('common.loading')}</p>;
  if (card === null) return <p>{t('planner.cardUnavailable')}</p>;
  return (
    <dl class="card">
      <dt>{t('detail.keySafe')}</dt>
      <dd class="key-safe">{card.keySafe || '–'}</dd>
      <dt>{t('detail.phone')}</dt>
      <dd>{card.phone || '–'}</dd>
      <dt>{t('detail.notes')}</dt>
      <dd>{card.notes || '–'}</dd>
    </dl>
  );
}

function Actions({ d }: { d: Dispatch }) {
  const [accepting, setAccepting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [team, setTeam] = useState(d.team ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const move = async (status: DispatchStatus, withTeam?: string) => {
    setError(null);
    setBusy(true);
    try {
      await setDispatchStatus(d.id, status, withTeam);
      setAccepting(false);
      setCancelling(false);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 409 ? t('planner.conflict') : t('notice.failed'));
    } finally {
      setBusy(false);
    }
  };
  const teamInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (accepting) teamInput.current?.focus();
  }, [accepting]);
  const nexts = nextStatuses(d.status);
  const teamId = `team-${d.id}`;
  return (
    <div class="dispatch-actions">
      {accepting ? (
        <form
          class="accept"
          onSubmit={(e) => {
            e.preventDefault();
            if (team.trim()) void move('accepted', team.trim());
          }}
        >
          <label for={teamId}>{t('planner.team')}</label>
          <input
            id={teamId}
            value={team}
            maxLength={100}
            required
            ref={teamInput}
            onInput={(e) => setTeam(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={busy || !team.trim()}>
            {t('planner.confirmAccept')}
          </button>
          <button type="button" onClick={() => setAccepting(false)}>
            {t('planner.back')}
          </button>
        </form>
      ) : (
        <>
          {nexts.map((s, k) =>
            s === 'accepted' ? (
              <button key={s} type="button" class="primary" disabled={busy} onClick={() => setAccepting(true)}>
                {t('planner.accept')}
              </button>
            ) : (
              <button
                key={s}
                type="button"
                class={k === 0 ? 'primary' : undefined}
                disabled={busy}
                onClick={() => move(s)}
              >
                {t(`planner.to.${s}`)}
              </button>
            ),
          )}
          {cancelling ? (
            <>
              <button type="button" class="danger" disabled={busy} onClick={() => move('cancelled')}>
                {t('planner.confirmCancel')}
              </button>
              <button type="button" onClick={() => setCancelling(false)}>
                {t('planner.back')}
              </button>
            </>
          ) : (
            <button type="button" disabled={busy} onClick={() => setCancelling(true)}>
              {t('planner.cancel')}
            </button>
          )}
        </>
      )}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

function DispatchCard({ d }: { d: Dispatch }) {
  const delivery = dispatchDelivery.value.get(d.id);
  const titleId = `dispatch-${d.id}`;
  const classes = ['dispatch', d.status, d.escalation && 'escalated', flashing.value.has(d.id) && 'flash'];
  return (
    <article class={classes.filter(Boolean).join(' ')} data-dispatch={d.id} aria-labelledby={titleId}>
      <header>
        <h3 id={titleId}>
          {d.alarmType ? t(`type.${d.alarmType}`) : t('dispatches.visit')} · {municipalityName(d.municipality)}
        </h3>
        <StatusBadge status={d.status} />
      </header>
      {d.escalation && !isFinal(d) && (
        <p class="escalated-text strong">
          <span aria-hidden="true">⚠ </span>
          {t('planner.escalated', { time: dateTime(d.escalation.at) })}
        </p>
      )}
      <p class="citizen-line">{citizenLabel(d)}</p>
      <p class="sub">
        {t('planner.requested', { time: clockTime(d.requestedAt), age: duration(secondsSince(d.requestedAt)) })}
        {d.team && ` · ${t('dispatches.team')}: ${d.team}`}
      </p>
      {d.note && (
        <blockquote class="note" aria-label={t('planner.note')}>
          {d.note}
        </blockquote>
      )}
      {delivery && (
        <p class={`webhook ${delivery.status}`}>
          {t('webhooks.dispatch', { status: t(`webhooks.status.${delivery.status}`), count: delivery.attempts })}
        </p>
      )}
      {!isFinal(d) && (
        <>
          <CardDetails d={d} />
          <Actions d={d} />
        </>
      )}
    </article>
  );
}

export function PlannerBoard() {
  const list = open.value;
  const done = finished.value;
  return (
    <section class="planner" aria-labelledby="planner-title">
      <h2 id="planner-title">{t('planner.title', { count: list.length })}</h2>
      <WebhookLine />
      {list.length === 0 ? (
        <p class="empty">{t('planner.none')}</p>
      ) : (
        <div class="dispatches">
          {list.map((d) => (
            <DispatchCard key={d.id} d={d} />
          ))}
        </div>
      )}
      {done.length > 0 && (
        <>
          <h2>{t('planner.finished')}</h2>
          <div class="dispatches finished">
            {done.map((d) => (
              <DispatchCard key={d.id} d={d} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
