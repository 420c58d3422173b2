// `npm run bench:ingest`: durable single-event ingest (POST /v1/alarms, a 202 only after the commit) with
// autocannon, beside a bare Fastify route that parses the same JSON and answers 202, in the same run.
// Ingest, worker and console run as separate processes, as in production: the worker triages while we send.
//
// BENCH_SECONDS (default 10), BENCH_WARMUP_SECONDS (default 3), BENCH_CONNECTIONS (default 32);
// BENCH_WORKER=0 runs without the triage worker, to see what ingest alone does on the same cores.
import autocannon, { type Result } from 'autocannon';
import { demoRegistry, registryBody, ALL_MUNICIPALITIES_LOGIN } from '../services/simulator/registry.js';
import { login } from '../services/simulator/console-client.js';
import { JsonClient } from '../services/simulator/http.js';
import { benchEvents } from './support/bench-traffic.js';
import { spawnScript, startStack, stopProcess, waitReady } from './support/stack.js';
import { machine, ratio } from './support/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WITH_WORKER = process.env.BENCH_WORKER !== '0';
const BARE_PORT = 18290;
const ADMIN_PASSWORD = 'bench-admin-password-1';

const reg = demoRegistry();
const mix = benchEvents(reg, 2000, '');
let serial = 0;
const runId = Date.now().toString(36);

/** A new event each request: the mix's next type and device, a unique eventId, its own gateway's key. */
function nextRequest() {
  const { gatewayId, event } = mix[serial % mix.length]!;
  const body = { ...event, eventId: `tp-${runId}-${serial++}`, occurredAt: new Date().toISOString() };
  return {
    method: 'POST',
    path: '/v1/alarms',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${reg.gatewayKeys.get(gatewayId)}` },
    body: JSON.stringify(body),
  };
}

function cannon(url: string, seconds: number): Promise<Result> {
  return new Promise((resolve, reject) =>
    autocannon(
      { url, connections: CONNECTIONS, duration: seconds, requests: [{ setupRequest: () => nextRequest() }] },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

async function warmThenMeasure(url: string): Promise<Result> {
  await cannon(url, WARMUP_SECONDS);
  return cannon(url, SECONDS);
}

async function floor(): Promise<Result> {
  const bare = spawnScript('bare-server', ['load-tests/support/bare-server.ts', String(BARE_PORT)], {});
  try {
    const url = `http://127.0.0.1:${BARE_PORT}`;
    await waitReady([url]);
    return await warmThenMeasure(url);
  } finally {
    await stopProcess(bare);
  }
}

async function services(): Promise<{ result: Result; stored: number }> {
  const stack = await startStack({
    database: 'responscenter_bench',
    redisPrefix: 'rc-bench',
    ports: { ingest: 18280, console: 18281, worker: 18282 },
    adminPassword: ADMIN_PASSWORD,
    roles: WITH_WORKER ? ['console', 'ingest', 'worker'] : ['console', 'ingest'],
  });
  try {
    const console_ = new JsonClient(stack.consoleUrl);
    const admin = await login(stack.consoleUrl, 'admin', ADMIN_PASSWORD);
    const put = await console_.request('PUT', '/v1/admin/registry', registryBody(reg), {
      authorization: `Bearer ${admin}`,
    });
    if (put.status !== 200) throw new Error(`registry import answered ${put.status}`);
    const result = await warmThenMeasure(stack.ingestUrl);
    // Every 2xx must be a stored alarm: count them from outside, as an operator would.
    const token = await login(stack.consoleUrl, ALL_MUNICIPALITIES_LOGIN.username, ALL_MUNICIPALITIES_LOGIN.password);
    let stored = 0;
    let before: string | null = null;
    do {
      const page = await console_.get(`/v1/alarms?status=all&limit=1000${before ? `&before=${before}` : ''}`, {
        authorization: `Bearer ${token}`,
      });
      const body = page.body as { alarms: unknown[]; next: string | null };
      stored += body.alarms.length;
      before = body.next;
    } while (before);
    console_.close();
    return { result, stored };
  } finally {
    await stack.stop();
  }
}

const line = (what: string, r: Result) =>
  `| ${what} | ${(r['2xx'] / r.duration).toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors + r.timeouts} |`;

console.error(
  `ingest throughput: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s each, floor first`,
);
const bare = await floor();
const { result: durable, stored } = await services();
console.log(`
Ingest throughput, ${new Date().toISOString()}, ${machine()}
autocannon, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up; unique eventIds, realistic type mix

| target | 2xx/s | p50 ms | p99 ms | non-2xx | errors |
| --- | --- | --- | --- | --- | --- |
${line(`services: POST /v1/alarms (durable, ${WITH_WORKER ? 'worker triaging' : 'no worker running'})`, durable)}
${line('floor: bare Fastify, parse JSON, answer 202', bare)}

ratio durable / floor: ${ratio(durable['2xx'] / durable.duration, bare['2xx'] / bare.duration)}
alarms stored (listed from the console, warm-up included): ${stored}; 2xx answered by ingest (warm-up excluded): ${durable['2xx']}`);
process.exit(durable.non2xx || durable.errors ? 1 : 0);
