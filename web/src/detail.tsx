// An incident opened: the citizen's card (read through the audited alarm read, once per opening), the
// citizen's alarms of the last 30 days, the triage's reasons, the incident's events, and the decision
// with a note. The decision is recorded on the incident's most urgent alarm; the server resolves the
// incident's other open alarms with it (one dispatch at most).
import { useEffect, useRef, useState } from 'preact/hooks';
import { alarm as readAlarm, ApiError, resolve, type Card, type CareResult, type Outcome } from './api.js';
import { incidents, noticeText, selected, take, type Notice } from './board.js';
import { t } from './i18n.js';
import { municipalityName } from './municipalities.js';
import { learningText, reasonTexts } from './reasons.js';
import { clockTime, dateTime } from './time.js';

const OUTCOMES: Outcome[] = ['false_alarm', 'phone_resolvable', 'dispatch'];

type CareDecision = {
  outcome: CareResult;
  label:
    | 'result.reached_well'
    | 'result.reached_needs_help_dispatch'
    | 'result.reached_needs_help_phone'
    | 'result.not_reached'
    | 'result.seen_calm'
    | 'result.seen_needs_help_dispatch'
    | 'result.seen_needs_help_phone'
    | 'result.not_seen';
  followUp?: 'dispatch' | 'phone';
};
/** A planned call's and a night check's results (the server refuses any other on them but the three outcomes). */
const CARE_DECISIONS: Partial<Record<string, CareDecision[]>> = {
  planned_call: [
    { outcome: 'reached_well', label: 'result.reached_well' },
    { outcome: 'reached_needs_help', label: 'result.reached_needs_help_dispatch', followUp: 'dispatch' },
    { outcome: 'reached_needs_help', label: 'result.reached_needs_help_phone', followUp: 'phone' },
    { outcome: 'not_reached', label: 'result.not_reached' },
  ],
  night_check: [
    { outcome: 'seen_calm', label: 'result.seen_calm' },
    { outcome: 'seen_needs_help', label: 'result.seen_needs_help_dispatch', followUp: 'dispatch' },
    { outcome: 'seen_needs_help', label: 'result.seen_needs_help_phone', followUp: 'phone' },
    { outcome: 'not_seen', label: 'result.not_seen' },
  ],
};

function CardView({ card }: { card: Card | null | undefined }) {
  if (card === undefined) return <p>{t('common.loading')}</p>;
  if (card === null) return <p>{t('detail.noCitizen')}</p>;
  return (
    <>
      <dl class="card">
        <dt>{t('detail.citizen')}</dt>
        <dd>{card.name}</dd>
        <dt>{t('detail.address')}</dt>
        <dd>{card.address}</dd>
        <dt>{t('detail.phone')}</dt>
        <dd>{card.phone ? <a href={`tel:${card.phone.replaceAll(' ', '')}`}>{card.phone}</a> : '–'}</dd>
        <dt>{t('detail.keySafe')}</dt>
        <dd class="key-safe">{card.keySafe || '–'}</dd>
        <dt>{t('detail.notes')}</dt>
        <dd>{card.notes || '–'}</dd>
      </dl>
      {card.recentAlarms && (
        <>
          <h3>{t('detail.recent', { count: card.recentAlarms.length })}</h3>
          {card.recentAlarms.length === 0 ? (
            <p>{t('detail.noRecent')}</p>
          ) : (
            <table class="compact">
              <thead>
                <tr>
                  <th scope="col">{t('detail.received')}</th>
                  <th scope="col">{t('board.type')}</th>
                  <th scope="col">{t('detail.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {card.recentAlarms.map((r) => (
                  <tr key={r.id}>
                    <td>{dateTime(r.receivedAt)}</td>
                    <td>{t(`type.${r.type}`)}</td>
                    <td>{r.outcome ? t(`class.${r.outcome}`) : t('detail.open')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

export function Detail({ id }: { id: string }) {
  const incident = incidents.value.find((i) => i.id === id);
  const [card, setCard] = useState<Card | null | undefined>(undefined);
  const [note, setNote] = useState('');
  const [error, setError] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const leadId = incident?.lead.id;

  // One audited read per opening: not again when the incident's lead alarm changes under it.
  useEffect(() => {
    if (!leadId) return;
    setCard(undefined);
    setNote('');
    setError(null);
    let current = true;
    readAlarm(leadId).then(
      (a) => current && setCard(a.citizen ?? null),
      () => current && setCard(null),
    );
    heading.current?.focus();
    return () => {
      current = false;
    };
  }, [id]);

  // Closing hands the keyboard back to the incident's row.
  useEffect(
    () => () => {
      document.querySelector<HTMLElement>(`tr.row[data-incident="${CSS.escape(id)}"]`)?.focus();
    },
    [id],
  );

  if (!incident) return null;
  const lead = incident.lead;
  const decide = async (outcome: Outcome | CareResult, followUp?: 'dispatch' | 'phone') => {
    setError(null);
    setBusy(true);
    try {
      await resolve(lead.id, outcome, note, followUp);
      selected.value = null;
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409 ? { kind: 'refused', alarmId: lead.id } : { kind: 'failed' },
      );
    } finally {
      setBusy(false);
    }
  };
  const title = `${t(`type.${lead.type}`)} · ${municipalityName(lead.municipality)}`;
  return (
    <aside class="detail" aria-labelledby="detail-title">
      <button type="button" class="close" onClick={() => (selected.value = null)} aria-keyshortcuts="Escape">
        {t('detail.close')}
      </button>
      <h2 id="detail-title" tabIndex={-1} ref={heading}>
        {title}
      </h2>
      <p class="holder-line">
        {incident.holders.length > 0 && (
          <span class="taken-by">
            <span aria-hidden="true">✓ </span>
            {t('detail.heldBy', { holder: incident.holders.join(', ') })}
          </span>
        )}{' '}
        {incident.unclaimed && (
          <>
            <span class="unanswered-text">
              <span aria-hidden="true">● </span>
              {t('board.unanswered')}
            </span>{' '}
            <button type="button" class="claim" onClick={() => take(incident, false)}>
              {t('board.claim')}
            </button>
          </>
        )}
      </p>
      <p class="device">
        {t('detail.device')}: {lead.deviceId}
        {lead.unknownDevice && ` (${t('board.unknownDevice')})`}
      </p>
      <CardView card={card} />
      <h3>{t('detail.triage')}</h3>
      {lead.triage ? (
        <>
          <p>
            <strong>{t(`class.${lead.triage.class}`)}</strong> · P{lead.triage.priority} ·{' '}
            {t('detail.confidence', { value: Math.round(lead.triage.confidence * 100) })}
          </p>
          <ul class="reasons">
            {reasonTexts(lead.triage).map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
          {lead.triage.learning && (
            <p class="learning" title={t('learning.title')}>
              {learningText(lead.triage)}
            </p>
          )}
        </>
      ) : (
        <p>{t('board.untriaged')}</p>
      )}
      <h3>{t('detail.events', { count: incident.alarms.length })}</h3>
      <ol class="events">
        {incident.alarms.map((a) => (
          <li key={a.id} class={a.id === lead.id ? 'lead' : undefined}>
            <span class="when">{clockTime(a.receivedAt)}</span> {t(`type.${a.type}`)} ·{' '}
            {a.triage ? `${t(`class.${a.triage.class}`)} P${a.triage.priority}` : t('board.untriaged')}
            {a.claimedBy && ` · ${a.claimedBy}`}
            {a.answerBy && ` · ${t('board.due', { time: clockTime(a.occurredAt), end: clockTime(a.answerBy) })}`}
          </li>
        ))}
      </ol>
      <h3>{t('detail.decision')}</h3>
      <label class="note">
        {t('detail.note')}
        <textarea value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      {lead.answerBy && (
        <p class="due">{t('detail.due', { time: clockTime(lead.occurredAt), end: clockTime(lead.answerBy) })}</p>
      )}
      <div class="decisions">
        {(CARE_DECISIONS[lead.type] ?? OUTCOMES.map((o) => ({ outcome: o, label: `class.${o}` as const }))).map((d) => (
          <button
            key={d.label}
            type="button"
            disabled={busy}
            class={`decide ${d.outcome}`}
            onClick={() => decide(d.outcome, 'followUp' in d ? d.followUp : undefined)}
          >
            {t(d.label)}
          </button>
        ))}
      </div>
      <p class="hint">{t('detail.dispatchHint')}</p>
      {error && <p role="alert">{noticeText(error)}</p>}
    </aside>
  );
}
