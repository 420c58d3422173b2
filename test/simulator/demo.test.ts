// `npm run demo` end to end, as a newcomer runs it: on its own database and Redis prefix and free ports, it
// prints the logins, then triaged alarms timed from their 202, and stops cleanly on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, eventually, seedRegistry, type TestEnv } from '../support/env.js';

/** A port that was free a moment ago: listen on 0, note the port, let it go. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** A triage line with the ms from the 202, e.g. `21:03:11  aabenraa  pendant  → phone_resolvable  p3  14 ms`. */
const TRIAGED = /^\d\d:\d\d:\d\d {2}[a-z-]+ +[a-z_]+ +→ (false_alarm|phone_resolvable|dispatch) +p[1-5] +(<1|\d+) ms/;

let te: TestEnv;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  te = await createTestEnv();
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await te.close();
});

describe('npm run demo', () => {
  it(
    'prints the logins and triaged alarms with their latency, and exits 0 on SIGINT',
    { timeout: 90_000 },
    async () => {
      const [ingest, consolePort, worker] = [await freePort(), await freePort(), await freePort()];
      child = spawn('node_modules/.bin/tsx', ['bin/demo.ts'], {
        env: {
          ...process.env,
          DATABASE_URL: te.config.databaseUrl,
          REDIS_URL: te.config.redisUrl,
          REDIS_PREFIX: te.config.redisPrefix,
          INGEST_PORT: String(ingest),
          CONSOLE_PORT: String(consolePort),
          WORKER_PORT: String(worker),
          LOG_LEVEL: 'warn',
          DEMO_SPEED: '3000',
          DEMO_SEED: '7',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const triaged = () => stdout.split('\n').filter((l) => TRIAGED.test(l));

      await eventually(() => triaged().length >= 3 || child!.exitCode !== null, 45_000, 'three triaged lines').catch(
        (err: Error) => {
          throw new Error(`${err.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        },
      );
      expect(child.exitCode, stderr).toBeNull();
      expect(triaged().length).toBeGreaterThanOrEqual(3);

      expect(stdout).toContain(`http://127.0.0.1:${consolePort}/`);
      expect(stdout).toContain(`http://127.0.0.1:${ingest}/docs`);
      expect(stdout).toMatch(/username +password +role +scope/);
      expect(stdout).toMatch(/operator +demo-operator-1 +operator +all seven/);
      expect(stdout).toMatch(/admin +demo-admin-1 +admin/);
      // Plain HTTP on this machine, and says so; the documents open, the metrics behind a token made for the run.
      expect(stdout).toMatch(/session cookie +rc_session over plain HTTP, on this machine only \(COOKIE_SECURE=false/);
      expect(stdout).toMatch(/OpenAPI +open to anyone \(DOCS=public/);
      const metricsToken = /authorization: Bearer (\S+)' \S+\/metrics/.exec(stdout)?.[1];
      const metrics = await fetch(`http://127.0.0.1:${consolePort}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      expect(metrics.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${consolePort}/metrics`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${ingest}/docs/json`)).status).toBe(200);

      const start = Date.now();
      child.kill('SIGINT');
      const code = await Promise.race([exited(child), new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code, `stdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr}`).toBe(0);
      expect(Date.now() - start).toBeLessThan(15_000);
      expect(stdout).toMatch(/sent \d+, accepted \d+, duplicates \d+, triaged \d+/);
    },
  );
});

describe('npm run demo on a database with real users', () => {
  it(
    'refuses to seed, names why, exits 2, and leaves every user and gateway as it was',
    { timeout: 60_000 },
    async () => {
      const real = await createTestEnv();
      try {
        await seedRegistry(real);
        const before = await real.rt.db
          .selectFrom('users')
          .select(['username', 'password_hash'])
          .orderBy('username')
          .execute();
        const gatewayKeys = () =>
          real.rt.db
            .selectFrom('gateway_keys')
            .select(['gateway_id', 'key_hash', 'revoked_at'])
            .orderBy('gateway_id')
            .orderBy('key_hash')
            .execute();
        const gateways = await real.rt.db.selectFrom('gateways').select(['id', 'disabled']).orderBy('id').execute();
        const keys = await gatewayKeys();
        const [ingest, consolePort, worker] = [await freePort(), await freePort(), await freePort()];
        const p = spawn('node_modules/.bin/tsx', ['bin/demo.ts'], {
          env: {
            ...process.env,
            DATABASE_URL: real.config.databaseUrl,
            REDIS_URL: real.config.redisUrl,
            REDIS_PREFIX: real.config.redisPrefix,
            INGEST_PORT: String(ingest),
            CONSOLE_PORT: String(consolePort),
            WORKER_PORT: String(worker),
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
        expect(await exited(p)).toBe(2);
        expect(err).toMatch(/refusing to seed the demo/);
        expect(err).toContain('responscenter_demo');
        expect(
          await real.rt.db.selectFrom('users').select(['username', 'password_hash']).orderBy('username').execute(),
        ).toEqual(before);
        expect(await real.rt.db.selectFrom('gateways').select(['id', 'disabled']).orderBy('id').execute()).toEqual(
          gateways,
        );
        expect(await gatewayKeys()).toEqual(keys);
      } finally {
        await real.close();
      }
    },
  );
});
