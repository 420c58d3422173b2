// The real services as separate processes, the way production runs them (compiled by `npm run build`,
// then `node --enable-source-maps dist/bin/server.js <role>`), on a database and Redis prefix of their
// own that are reset before each run. Each service is the node process spawned here, so its pid is the
// one to measure.
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
  roles?: readonly Role[];
  /** Postgres server to create the database on; its database part is replaced. */
  postgresUrl?: string;
  /** Start on the database as it is (a seeded history) instead of dropping it first. */
  keepDatabase?: boolean;
  env?: Record<string, string>;
};

export type Role = 'ingest' | 'worker' | 'console';

export type Stack = {
  ingestUrl: string;
  consoleUrl: string;
  workerUrl: string;
  /** The stack's own database, for counting from outside what was stored. */
  databaseUrl: string;
  logDir: string;
  /** The process started for each role: the node process that runs the service. */
  processes: { role: Role; child: ChildProcess }[];
  stop(): Promise<void>;
};

export const LOG_DIR = path.join(tmpdir(), 'rc-load');

export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(server: string, database: string): string {
  const u = new URL(server);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drop a database of the benchmarks (and create it again, empty, when `create`). */
export async function dropDatabase(database: string, create = false, server = POSTGRES_SERVER): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    if (create) await c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await c.end();
  }
}

/** Drop the benchmark's database and delete its Redis keys, so every run starts empty. */
export async function resetState(opts: StackOptions): Promise<void> {
  await dropDatabase(opts.database, false, opts.postgresUrl ?? POSTGRES_SERVER);
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

/**
 * The services' entry point once compiled, and how production starts it (package.json, Dockerfile).
 * LOAD_NODE_ARGS adds node options, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for a CPU profile of
 * each service (written when it exits at the end of the run).
 */
const SERVER = [
  ...(process.env.LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean),
  '--enable-source-maps',
  'dist/bin/server.js',
];

let built: Promise<void> | undefined;

/**
 * Compile the services into dist/ (`npm run build`), once per benchmark process, so what runs is the
 * code as it is now. tsc's output, if any, goes to stderr: stdout is for the results.
 */
export function buildServices(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { stdio: ['ignore', 2, 2] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`npm run build failed (${signal ?? `exit code ${code}`})`)),
    );
  });
  return built;
}

/** Every process spawnProcess started that has not exited yet. */
const running = new Set<ChildProcess>();

/** Spawn a process in its own process group, output to a log file. */
function spawnProcess(name: string, command: string, args: string[], env: Record<string, string>): ChildProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(path.join(LOG_DIR, `${name}.log`));
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Spawn a TypeScript entry point of the benchmark itself (a floor's server) with tsx. tsx runs it in a
 * node child of its own; stopProcess stops both, as it signals the process group.
 */
export function spawnScript(name: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawnProcess(name, 'node_modules/.bin/tsx', args, env);
}

/** Stop every process this benchmark started and that still runs (an interrupted run). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((c) => stopProcess(c)));
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
  await buildServices();
  if (!opts.keepDatabase) await resetState(opts);
  const host = '127.0.0.1';
  const dbUrl = databaseUrl(opts.postgresUrl ?? POSTGRES_SERVER, opts.database);
  const env = {
    DATABASE_URL: dbUrl,
    REDIS_URL: opts.redisUrl ?? 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: opts.redisPrefix,
    INGEST_PORT: String(opts.ports.ingest),
    CONSOLE_PORT: String(opts.ports.console),
    WORKER_PORT: String(opts.ports.worker),
    HOST: host,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_PASSWORD: opts.adminPassword,
    // As production starts them (package.json, Dockerfile): see MALLOC_MMAP_THRESHOLD_ in the README.
    MALLOC_MMAP_THRESHOLD_: '131072',
    ...opts.env,
  };
  const roles = opts.roles ?? (['console', 'ingest', 'worker'] as const);
  const processes = roles.map((role) => ({
    role,
    child: spawnProcess(role, process.execPath, [...SERVER, role], env),
  }));
  const stack: Stack = {
    ingestUrl: `http://${host}:${opts.ports.ingest}`,
    consoleUrl: `http://${host}:${opts.ports.console}`,
    workerUrl: `http://${host}:${opts.ports.worker}`,
    databaseUrl: dbUrl,
    logDir: LOG_DIR,
    processes,
    stop: async () => {
      await Promise.all(processes.map((p) => stopProcess(p.child)));
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
