// Worker processes for fault tests: started as production starts them (bin/server.ts worker) on a test
// file's database and Redis prefix, and killed with SIGKILL, the whole process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Config } from '../../platform/config.js';

/**
 * `tsx` runs the program in a child node process, so a signal to the tsx process alone would leave the
 * worker running as an orphan. Each worker gets its own process group, and the whole group is killed.
 */
export function startWorkerProcess(config: Config): ChildProcess {
  return spawn('node_modules/.bin/tsx', ['bin/server.ts', 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      REDIS_PREFIX: config.redisPrefix,
      WORKER_PORT: '0',
      LOG_LEVEL: 'warn',
      RECONCILE_AFTER_SECONDS: '1',
    },
    stdio: 'ignore',
    detached: true,
  });
}

export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** A process of the group is still running (zombies, dead but not yet reaped, do not count). Linux. */
export function groupAlive(child: ChildProcess): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === child.pid && state !== 'Z') return true;
    } catch {
      /* exited while we looked */
    }
  }
  return false;
}
