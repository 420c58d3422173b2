// The supervisors' panel for planned work: a citizen's schedules of planned calls and night checks, and
// consent to night supervision (record, withdraw). The server decides scope and consent: a citizen
// outside the supervisor's municipalities is "not found", a night check without consent is refused.
import { useState } from 'preact/hooks';
import {
  addSchedule,
  ApiError,
  citizenPlan,
  deleteSchedule,
  recordConsent,
  withdrawConsent,
  type ConsentView,
  type ScheduleView,
} from './api.js';
import { t } from './i18n.js';
import { dateTime } from './time.js';

type Plan = { schedules: ScheduleView[]; consents: ConsentView[] };

export function SchedulePanel() {
  const [citizen, setCitizen] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<ScheduleView['kind']>('planned_call');
  const [times, setTimes] = useState('10:00');
  const [windowMinutes, setWindowMinutes] = useState('');
  const [representative, setRepresentative] = useState('');

  const run = async (id: string, action?: () => Promise<unknown>) => {
    setError(null);
    try {
      if (action) await action();
      setPlan(await citizenPlan(id));
      setShown(id);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('plan.failed'));
    }
  };
  const inForce = plan?.consents.find((c) => c.inForce) ?? null;

  return (
    <section class="schedules" aria-labelledby="plan-title">
      <h2 id="plan-title">{t('plan.title')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (citizen.trim()) void run(citizen.trim());
        }}
      >
        <label>
          {t('plan.citizen')} <input value={citizen} onInput={(e) => setCitizen(e.currentTarget.value)} />
        </label>{' '}
        <button type="submit">{t('plan.show')}</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {shown && plan && (
        <>
          <h3>{t('plan.consent')}</h3>
          {inForce ? (
            <p>
              {inForce.representativeName ?? t('plan.byCitizen')} · {dateTime(inForce.givenAt)} ·{' '}
              {t('plan.recordedBy', { who: inForce.recordedBy })}{' '}
              <button type="button" onClick={() => void run(shown, () => withdrawConsent(inForce.id))}>
                {t('plan.withdraw')}
              </button>
            </p>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void run(shown, () => recordConsent(shown, representative.trim()));
              }}
            >
              <p>{t('plan.noConsent')}</p>
              <label>
                {t('plan.representative')}{' '}
                <input value={representative} onInput={(e) => setRepresentative(e.currentTarget.value)} />
              </label>{' '}
              <button type="submit">{t('plan.record')}</button>
            </form>
          )}
          <h3>{t('plan.schedules')}</h3>
          {plan.schedules.length === 0 ? (
            <p>{t('plan.none')}</p>
          ) : (
            <ul>
              {plan.schedules.map((s) => (
                <li key={s.id}>
                  {t(`type.${s.kind}`)} · {s.times.join(', ')} · {t('plan.window', { minutes: s.windowMinutes })}{' '}
                  <button type="button" onClick={() => void run(shown, () => deleteSchedule(s.id))}>
                    {t('plan.delete')}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const minutes = Number(windowMinutes);
              void run(shown, () =>
                addSchedule(shown, {
                  kind,
                  times: times
                    .split(/[\s,]+/)
                    .map((x) => x.trim())
                    .filter(Boolean),
                  ...(windowMinutes && Number.isFinite(minutes) ? { windowMinutes: minutes } : {}),
                }),
              );
            }}
          >
            <label>
              {t('board.type')}{' '}
              <select value={kind} onChange={(e) => setKind(e.currentTarget.value as ScheduleView['kind'])}>
                <option value="planned_call">{t('type.planned_call')}</option>
                <option value="night_check">{t('type.night_check')}</option>
              </select>
            </label>{' '}
            <label>
              {t('plan.times')} <input value={times} onInput={(e) => setTimes(e.currentTarget.value)} />
            </label>{' '}
            <label>
              {t('plan.windowMinutes')}{' '}
              <input
                inputMode="numeric"
                size={4}
                value={windowMinutes}
                onInput={(e) => setWindowMinutes(e.currentTarget.value)}
              />
            </label>{' '}
            <button type="submit">{t('plan.add')}</button>
          </form>
        </>
      )}
    </section>
  );
}
