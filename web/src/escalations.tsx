// The escalation band at the top of the page, impossible to overlook: incidents past their answer
// target with nobody answering (seen here at once, and escalated by the server, which also pushes them
// to supervisors), incidents the server escalated as unresolved, and dispatches home care has not
// accepted in time. Filters never hide it. Each new escalation sounds and is read out; while any
// waits for someone, a reminder sounds every half minute.
import { computed } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { announce, playSound } from './announce.js';
import { incidents, overdue, selected, take } from './board.js';
import { citizens } from './citizens.js';
import { dispatches, isFinal } from './feed.js';
import { t } from './i18n.js';
import type { Incident } from './incidents.js';
import { municipalityName } from './municipalities.js';
import { duration, now, secondsSince } from './time.js';

const REMINDER_MS = 30_000;

export const escalatedIncidents = computed(() => incidents.value.filter((i) => i.escalation !== null || overdue(i)));
export const escalatedDispatches = computed(() =>
  [...dispatches.value.values()].filter((d) => d.escalation && !isFinal(d) && d.status === 'requested'),
);

const citizenName = (id: string | null) => (id === null ? null : (citizens.value.get(id)?.name ?? null));

function reason(i: Incident): string {
  if (i.escalation?.reason === 'unresolved')
    return t('escalation.unresolvedBy', { holder: i.holders.join(', '), time: duration(secondsSince(i.receivedAt)) });
  return t('escalation.unansweredFor', {
    time: duration(i.unansweredSince ? secondsSince(i.unansweredSince, now.value) : 0),
  });
}

/** Sound and words for each new escalation, and a reminder while any is still waiting for someone. */
function useEscalationAlarm(alarms: boolean) {
  const known = useRef(new Set<string>());
  const ids = [
    ...(alarms ? escalatedIncidents.value.map((i) => i.id) : []),
    ...escalatedDispatches.value.map((d) => d.id),
  ];
  const key = ids.join(' ');
  useEffect(() => {
    const fresh = ids.filter((id) => !known.current.has(id));
    known.current = new Set(ids);
    if (fresh.length > 0) announce(t('escalation.title', { count: ids.length }), 'escalation');
  }, [key]); // `key` is `ids` as one string: run again only when the set changes.
  const waiting = ids.length > 0;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => playSound('escalation'), REMINDER_MS);
    return () => clearInterval(timer);
  }, [waiting]);
}

/** `alarms`: whether this user handles alarms (planners see only the dispatches' escalations). */
export function EscalationBand({ alarms }: { alarms: boolean }) {
  useEscalationAlarm(alarms);
  const list = alarms ? escalatedIncidents.value : [];
  const ds = escalatedDispatches.value;
  const count = list.length + ds.length;
  if (count === 0) return null;
  return (
    <section class="escalations" aria-labelledby="escalations-title">
      <h2 id="escalations-title">
        <span role="alert">
          <span aria-hidden="true">⚠ </span>
          {t('escalation.title', { count })}
        </span>
      </h2>
      <ul>
        {list.map((i) => (
          <li key={i.id} data-incident={i.id} data-alarms={i.alarms.map((a) => a.id).join(' ')}>
            <strong>{t(`type.${i.lead.type}`)}</strong> · {municipalityName(i.lead.municipality)}
            {citizenName(i.lead.citizenId) && ` · ${citizenName(i.lead.citizenId)}`} · <span>{reason(i)}</span>{' '}
            {i.unclaimed && (
              <button type="button" class="claim" onClick={() => take(i)}>
                {t('board.claim')}
              </button>
            )}{' '}
            <button type="button" onClick={() => (selected.value = i.id)}>
              {t('board.open')}
            </button>
          </li>
        ))}
        {ds.map((d) => (
          <li key={d.id} data-dispatch={d.id}>
            <strong>{t('escalation.not_accepted')}</strong>
            {d.alarmType && ` · ${t(`type.${d.alarmType}`)}`} · {municipalityName(d.municipality)}
            {citizenName(d.citizenId) && ` · ${citizenName(d.citizenId)}`} ·{' '}
            {t('escalation.requestedAgo', { time: duration(secondsSince(d.requestedAt)) })}
          </li>
        ))}
      </ul>
    </section>
  );
}
