// What the console says about the centre besides the live feed, asked for every few seconds: the
// centre's state (staffing, triage health, per municipality, silent gateways), each municipality's
// webhook to home care, and the units' open maintenance tasks. Each is null where this console does not serve it (its widget is hidden).
import { signal } from '@preact/signals';
import {
  centre as readCentre,
  openDispatches,
  openMaintenance,
  type MaintenanceTask,
  webhooks as readWebhooks,
  type Centre,
  type Role,
  type WebhookDelivery,
  type WebhookStatus,
} from './api.js';

const CENTRE_EVERY_MS = 10_000;
const WEBHOOKS_EVERY_MS = 20_000;
const MAINTENANCE_EVERY_MS = 20_000;

export const centre = signal<Centre | null>(null);
export const webhookStatus = signal<readonly WebhookStatus[] | null>(null);
/** Open maintenance tasks of the user's municipalities (technical trouble of the units); null: not served. */
export const maintenance = signal<readonly MaintenanceTask[] | null>(null);
/** Each open dispatch's webhook delivery, where the dispatch list carries it. */
export const dispatchDelivery = signal<ReadonlyMap<string, WebhookDelivery>>(new Map());

/** Start asking for what this role is shown; returns the way to stop (at logout). */
export function watchHealth(role: Role): () => void {
  let stopped = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const every = (ms: number, read: () => Promise<void>) => {
    const run = () => {
      read()
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) timers.push(setTimeout(run, ms));
        });
    };
    run();
  };
  if (role === 'operator' || role === 'supervisor' || role === 'admin')
    every(CENTRE_EVERY_MS, async () => {
      const c = await readCentre();
      if (!stopped) centre.value = c;
    });
  if (role === 'operator' || role === 'supervisor' || role === 'admin')
    every(MAINTENANCE_EVERY_MS, async () => {
      const m = await openMaintenance();
      if (!stopped) maintenance.value = m;
    });
  if (role !== 'analyst')
    every(WEBHOOKS_EVERY_MS, async () => {
      const w = await readWebhooks();
      if (!stopped) webhookStatus.value = w;
    });
  if (role === 'planner')
    every(WEBHOOKS_EVERY_MS, async () => {
      // Only where webhooks are served at all.
      if (webhookStatus.peek() === null) return;
      const list = await openDispatches();
      const deliveries = new Map<string, WebhookDelivery>();
      for (const d of list) if (d.webhook) deliveries.set(d.id, d.webhook);
      if (!stopped) dispatchDelivery.value = deliveries;
    });
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    centre.value = null;
    maintenance.value = null;
    webhookStatus.value = null;
    dispatchDelivery.value = new Map();
  };
}
