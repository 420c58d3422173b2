// Gateway supervision: a gateway silent for longer than its heartbeat interval leaves citizens
// unprotected. It raises one heartbeat_missed alarm per municipality it serves, once per silence, and
// closes the maintenance task of a silence that has ended.
import type { NewAlarm } from '../../db/accept.js';
import { listSilentGateways } from '../../db/gateways.js';
import { closeHeardHeartbeatTasks } from '../../db/maintenance.js';
import { acceptAlarms } from '../intake/accept-alarms.js';
import type { Runtime } from '../../platform/runtime.js';

export async function superviseGateways(rt: Runtime): Promise<number> {
  // A gateway heard from again closes the maintenance task its silence opened.
  await closeHeardHeartbeatTasks(rt.db);
  const silent = await listSilentGateways(rt.db);
  if (silent.length === 0) return 0;
  const alarms: NewAlarm[] = silent.flatMap((g) => {
    const since = new Date(g.lastSignOfLife);
    const overdueAt = new Date(since.getTime() + g.heartbeatSeconds * 1000).toISOString();
    return g.municipalities.map((m) => ({
      gatewayId: g.id,
      // One alarm per municipality and silence: the same key while the silence lasts (idempotent across
      // ticks and across worker processes), a new one after the next sign of life. A system event: its
      // key is no event id, so the gateway cannot send it first and so silence its own alarm.
      system: true,
      eventId: `heartbeat-missed:${m}:${since.getTime()}`,
      deviceId: g.id.slice(0, 64),
      type: 'heartbeat_missed' as const,
      occurredAt: overdueAt,
      details: { lastSignOfLife: since.toISOString(), heartbeatSeconds: g.heartbeatSeconds },
      municipality: m,
    }));
  });
  const outcome = await acceptAlarms(rt, alarms);
  return outcome.created.length;
}
