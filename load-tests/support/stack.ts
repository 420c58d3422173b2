// The real services as separate processes, the way production runs them (`tsx bin/server.ts <role>`),
// on a database and Redis prefix of their own that are reset before each run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { deleteByPrefix, fastFailRedis, redisReady } from '../../platform/redis.js';

export type StackOptions = {
  database: string;
  redisUrl?: string;
  redisPrefix: string;
  ports: { ingest: number; console: number; worker: number };
  adminPassword: string;
  /** The services to start (default all three; the console is needed to import the registry). */
  roles?: readonly ('ingest' | 'worker' | 'console')[];
  /** Postgres server to create the database on; its database part is replaced. */
  postgresUrl?: string;
  env?: Record<string, string>;
};

export type Stack = {
  ingestUrl: string;
  consoleUrl: string;
  workerUrl: string;
  logDir: string;
  stop(): Promise<void>;
};

export const LOG_DIR = path.join(tmpdir(), 'rc-bench');

function databaseUrl(server: string, database: string): string {
  const u = new URL(server);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drop the benchmark's database and delete its Redis keys, so every run starts empty. */
export async function resetState(opts: StackOptions): Promise<void> {
  const server = opts.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const c = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(opts.database)} WITH (FORCE)`);
  } finally {
    await c.end();
  }
  const redis = fastFailRedis(opts.redisUrl ?? 'redis://127.0.0.1:6379/0');
  try {
    await redisReady(redis);
    await deleteByPrefix(redis, opts.redisPrefix);
  } finally {
    redis.disconnect();
  }
}

/** Answers 200 on /readyz. */
export async function waitReady(urls: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1500) })
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms (logs in ${LOG_DIR})`);
      await sleep(200);
    }
  }
}

/** Spawn a TypeScript entry point with tsx in its own process group, output to a log file. */
export function spawnScript(name: string, args: string[], env: Record<string, string>): ChildProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(path.join(LOG_DIR, `${name}.log`));
  const child = spawn('node_modules/.bin/tsx', args, {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

/** SIGTERM the process group, SIGKILL it when it has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  await resetState(opts);
  const host = '127.0.0.1';
  const env = {
    DATABASE_URL: databaseUrl(opts.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres', opts.database),
    REDIS_URL: opts.redisUrl ?? 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: opts.redisPrefix,
    INGEST_PORT: String(opts.ports.ingest),
    CONSOLE_PORT: String(opts.ports.console),
    WORKER_PORT: String(opts.ports.worker),
    HOST: host,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_PASSWORD: opts.adminPassword,
    ...opts.env,
  };
  const roles = opts.roles ?? (['console', 'ingest', 'worker'] as const);
  const children = roles.map((role) => spawnScript(role, ['bin/server.ts', role], env));
  const stack: Stack = {
    ingestUrl: `http://${host}:${opts.ports.ingest}`,
    consoleUrl: `http://${host}:${opts.ports.console}`,
    workerUrl: `http://${host}:${opts.ports.worker}`,
    logDir: LOG_DIR,
    stop: async () => {
      await Promise.all(children.map((c) => stopProcess(c)));
    },
  };
  try {
    await waitReady(
      roles.map((r) => ({ console: stack.consoleUrl, ingest: stack.ingestUrl, worker: stack.workerUrl })[r]),
    );
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
