// What the benchmarks send. The simulator's traffic model (services/simulator/profile.ts) gives the
// realistic mix of event types (pendant presses, their cancels, falls, sensors, planned calls, technical
// events, tests) from the demo registry's devices, and the daily rhythm; the scenarios take its events
// without its re-sends, storms or backlogs, so each event sent is one new alarm.
import { EMERGENCY_TYPES, type EventType } from '../../domain/events.js';
import type { FleetDevice, GatewayEvent } from '../../services/simulator/profile.js';
import { traffic } from '../../services/simulator/profile.js';
import type { DemoRegistry } from '../../services/simulator/registry.js';
import type { Batch } from './send.js';

export type BenchEvent = { gatewayId: string; event: GatewayEvent };

/** The first `n` events of the realistic mix (optionally only some types), from Monday 06:00 on. */
export function benchEvents(
  reg: DemoRegistry,
  n: number,
  eventIdPrefix: string,
  seed = 1,
  types?: readonly EventType[],
): BenchEvent[] {
  const out: BenchEvent[] = [];
  const sends = traffic({
    seed,
    start: Date.UTC(2026, 0, 5, 6),
    fleet: reg.fleet,
    eventIdPrefix,
    stormsPerDay: 0,
    gatewayOutagesPerDay: 0,
  });
  for (const s of sends) {
    if (out.length >= n) break;
    if (s.kind === 'single' && !s.retry && (!types || types.includes(s.event.type))) {
      out.push({ gatewayId: s.gatewayId, event: s.event });
    }
  }
  return out;
}

/** Events as backlogs: each gateway's events in order, cut into batches of at most `size`. */
export function asBatches(events: readonly BenchEvent[], size: number): Batch[] {
  const byGateway = new Map<string, GatewayEvent[]>();
  for (const e of events) {
    const list = byGateway.get(e.gatewayId) ?? [];
    list.push(e.event);
    byGateway.set(e.gatewayId, list);
  }
  const out: Batch[] = [];
  for (const [gatewayId, list] of byGateway) {
    for (let i = 0; i < list.length; i += size) out.push({ gatewayId, events: list.slice(i, i + size) });
  }
  return out;
}

/**
 * A mains-failure storm: `n` mains_failure events, the registry's units in turn (the demo registry has
 * a few hundred, so each reports many times), as each gateway's backlog in batches of `size`.
 */
export function stormBatches(reg: DemoRegistry, n: number, size: number, eventIdPrefix: string): Batch[] {
  const at = new Date().toISOString();
  const events = Array.from({ length: n }, (_, i): BenchEvent => {
    const d = reg.fleet[i % reg.fleet.length]!;
    return {
      gatewayId: d.gatewayId,
      event: { eventId: `${eventIdPrefix}${i}`, deviceId: d.deviceId, type: 'mains_failure', occurredAt: at },
    };
  });
  return asBatches(events, size);
}

export type TimedEvent = BenchEvent & {
  /** Simulated moment, ms since the epoch. */
  simAt: number;
};

/**
 * A year of one municipality's nødkald (the emergency types: pendant, fall, smoke, epilepsy, wandering,
 * door_open, bed_exit) from the traffic model, with its daily rhythm: the first `n` from 1 January on,
 * from that municipality's units only, without re-sends, storms or backlogs.
 */
export function yearOfCalls(
  fleet: readonly FleetDevice[],
  municipality: string,
  n: number,
  eventIdPrefix: string,
  seed = 1,
): TimedEvent[] {
  const own = fleet.filter((d) => d.municipality === municipality);
  const out: TimedEvent[] = [];
  const sends = traffic({
    seed,
    start: Date.UTC(2025, 11, 31, 23), // 1 January 2026, 00:00 in Copenhagen
    fleet: own,
    eventIdPrefix,
    stormsPerDay: 0,
    gatewayOutagesPerDay: 0,
  });
  for (const s of sends) {
    if (out.length >= n) break;
    if (s.kind === 'single' && !s.retry && EMERGENCY_TYPES.has(s.event.type)) {
      out.push({ gatewayId: s.gatewayId, event: s.event, simAt: s.at });
    }
  }
  return out;
}
