// Dispatches as operators follow them: every open dispatch of their municipalities (and those finished in
// the last quarter of an hour) with home care's progress, live from the feed. The status badge and names
// are shared with the planners' board.
import { computed } from '@preact/signals';
import type { Dispatch, DispatchStatus } from './api.js';
import { citizens } from './citizens.js';
import { dispatches } from './feed.js';
import { flashing } from './announce.js';
import { t } from './i18n.js';
import { municipalityName } from './municipalities.js';
import { clockTime } from './time.js';

const STATUS_ICON: Record<DispatchStatus, string> = {
  requested: '○',
  accepted: '◔',
  en_route: '◑',
  arrived: '◕',
  completed: '●',
  cancelled: '✕',
};

export function StatusBadge({ status }: { status: DispatchStatus }) {
  return (
    <span class={`dstatus ${status}`}>
      <span aria-hidden="true">{STATUS_ICON[status]} </span>
      {t(`dispatchStatus.${status}`)}
    </span>
  );
}

/** Newest first. */
export const dispatchList = computed(() =>
  [...dispatches.value.values()].sort((a, b) => Date.parse(b.requestedAt) - Date.parse(a.requestedAt)),
);

export const citizenLabel = (d: Dispatch) => {
  if (d.citizenId === null) return t('board.unknownDevice');
  const c = citizens.value.get(d.citizenId);
  return c ? `${c.name}, ${c.address}` : c === null ? d.citizenId : '…';
};

export function DispatchPanel() {
  const list = dispatchList.value;
  return (
    <section class="dispatch-panel" aria-labelledby="dispatch-panel-title">
      <h2 id="dispatch-panel-title">{t('dispatches.title', { count: list.length })}</h2>
      {list.length === 0 ? (
        <p class="empty">{t('dispatches.none')}</p>
      ) : (
        <ul>
          {list.map((d) => (
            <li
              key={d.id}
              data-dispatch={d.id}
              data-alarm={d.alarmId}
              class={[d.escalation && 'escalated', flashing.value.has(d.id) && 'flash'].filter(Boolean).join(' ')}
            >
              <div class="line">
                <strong>{d.alarmType ? t(`type.${d.alarmType}`) : t('dispatches.visit')}</strong> ·{' '}
                {municipalityName(d.municipality)}
                <StatusBadge status={d.status} />
              </div>
              <div class="sub">{citizenLabel(d)}</div>
              <div class="sub">
                {d.team && `${t('dispatches.team')}: ${d.team} · `}
                {t('dispatches.updated', { time: clockTime(d.updatedAt) })}
              </div>
              {d.escalation && (
                <div class="escalated-text">
                  <span aria-hidden="true">▲ </span>
                  {t('escalation.not_accepted')}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
