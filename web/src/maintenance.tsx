// The units' technical trouble as work (GET /v1/maintenance): open maintenance tasks of the user's
// municipalities, newest first, each closable by hand once the unit is repaired. Asked for every few
// seconds (health.ts); hidden where the console does not serve it.
import { useState } from 'preact/hooks';
import { closeMaintenance, type MaintenanceTask } from './api.js';
import { citizens } from './citizens.js';
import { maintenance } from './health.js';
import { t } from './i18n.js';
import { municipalityName } from './municipalities.js';
import { clockTime } from './time.js';

const unit = (task: MaintenanceTask) => {
  if (task.citizenId === null) return task.deviceId;
  const c = citizens.value.get(task.citizenId);
  return c ? `${c.name}, ${c.address}` : task.deviceId;
};

export function MaintenancePanel() {
  const list = maintenance.value;
  const [busy, setBusy] = useState<string | null>(null);
  if (list === null) return null;
  const close = (task: MaintenanceTask) => {
    setBusy(task.id);
    closeMaintenance(task.id)
      .catch(() => undefined)
      .finally(() => {
        setBusy(null);
        maintenance.value = (maintenance.peek() ?? []).filter((x) => x.id !== task.id);
      });
  };
  return (
    <section class="maintenance-panel" aria-labelledby="maintenance-panel-title">
      <h2 id="maintenance-panel-title">{t('maintenance.title', { count: list.length })}</h2>
      {list.length === 0 ? (
        <p class="empty">{t('maintenance.none')}</p>
      ) : (
        <ul>
          {list.map((task) => (
            <li key={task.id} data-task={task.id}>
              <div class="line">
                <strong>{t(`maintenance.kind.${task.kind}`)}</strong> · {municipalityName(task.municipality)}
              </div>
              <div class="sub">{unit(task)}</div>
              <div class="sub">
                {t('maintenance.since', { time: clockTime(task.openedAt), count: task.alarms })}{' '}
                <button type="button" disabled={busy === task.id} onClick={() => close(task)}>
                  {t('maintenance.close')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
