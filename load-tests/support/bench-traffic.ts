// What the benchmarks send: the simulator's realistic mix of event types (pendant presses, their cancels,
// falls, sensors, planned calls, technical events, tests) from the demo registry's devices, without its
// timing, re-sends, storms or backlogs, so each sample is one new alarm.
import type { GatewayEvent } from '../../services/simulator/profile.js';
import { traffic } from '../../services/simulator/profile.js';
import type { DemoRegistry } from '../../services/simulator/registry.js';

export type BenchEvent = { gatewayId: string; event: GatewayEvent };

export function benchEvents(reg: DemoRegistry, n: number, eventIdPrefix: string, seed = 1): BenchEvent[] {
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
    if (s.kind === 'single' && !s.retry) out.push({ gatewayId: s.gatewayId, event: s.event });
  }
  return out;
}
