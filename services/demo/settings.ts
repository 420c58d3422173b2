// The demo's own settings (DEMO_SPEED, DEMO_SEED), read once at start. Everything else comes from
// platform/config.ts like every other process.
import { z } from 'zod';

/**
 * DEMO_SPEED: simulated time per real time. The seven municipalities send about 775 events a simulated day
 * (services/simulator/profile.ts: about 680 new alarms, cancels and restores included, plus 12 % re-sends), so
 * the default 200 gives about 1.6 new alarms a second on average (more in the 08–11 peak, fewer at night),
 * and a simulated day passes in about seven minutes. DEMO_SEED: the traffic's seed; by default a new one each
 * run (printed in the banner), so runs differ; setting it repeats a run's traffic.
 */
const schema = z.object({
  DEMO_SPEED: z.coerce.number().positive().max(1_000_000).default(200),
  DEMO_SEED: z.coerce.number().int().nonnegative().max(0xffff_ffff).optional(),
});

export type DemoSettings = { speed: number; seed: number };

export class DemoSettingsError extends Error {}

/** Empty strings count as unset, as in platform/config.ts. */
export function demoSettings(env: NodeJS.ProcessEnv = process.env): DemoSettings {
  const cleaned = { DEMO_SPEED: env.DEMO_SPEED || undefined, DEMO_SEED: env.DEMO_SEED || undefined };
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new DemoSettingsError(`invalid demo settings: ${lines.join('; ')}`);
  }
  return { speed: parsed.data.DEMO_SPEED, seed: parsed.data.DEMO_SEED ?? Date.now() % 1_000_000 };
}
