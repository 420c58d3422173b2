// A periodic task that never overlaps itself and never crashes the process: a failed tick is logged
// (once per outage) and the next tick tries again.
import { errorFields, type Logger } from './logger.js';

export type Loop = { stop(): Promise<void>; tick(): Promise<void> };

export function every(ms: number, name: string, logger: Logger, fn: () => Promise<void>): Loop {
  let running: Promise<void> | null = null;
  let failing = false;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return running ?? undefined;
    running = fn()
      .then(() => {
        if (failing) logger.info(`${name}: working again`);
        failing = false;
      })
      .catch((err: Error) => {
        if (!failing) logger.warn(errorFields(err), `${name} failed; retrying`);
        failing = true;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
