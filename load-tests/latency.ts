// `npm run bench:latency`: how long from a gateway's 202 until the triaged alarm is on an operator's live
// feed, with ingest, worker and console as separate processes, beside a floor measured in the same run
// (a bare Fastify route + a bare `ws` server, same sender, same rate). Target: p99 < 50 ms.
//
// BENCH_RATE (alarms/s, default 50), BENCH_SECONDS (default 60), BENCH_WARMUP_SECONDS (default 5).
import { setTimeout as sleep } from 'node:timers/promises';
import { login, LiveFeed } from '../services/simulator/console-client.js';
import { GatewayClient } from '../services/simulator/gateway.js';
import { JsonClient } from '../services/simulator/http.js';
import { ALL_MUNICIPALITIES_LOGIN, demoRegistry, registryBody } from '../services/simulator/registry.js';
import { benchEvents, type BenchEvent } from './support/bench-traffic.js';
import { spawnScript, startStack, stopProcess, waitReady } from './support/stack.js';
import { machine, ms, ratio, row, summarise, type Summary } from './support/stats.js';

const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const BARE_PORT = 18290;
const STRAGGLER_WAIT_MS = 15_000;
const ADMIN_PASSWORD = 'bench-admin-password-1';

type Run = { post: Summary; feed: Summary; total: Summary; sent: number; errors: number; missing: number };

/** Send at a fixed rate (open loop: a slow answer never delays the next send) and time both legs. */
async function measure(target: { ingestUrl: string; consoleUrl: string; token: string }, events: BenchEvent[]) {
  const reg = demoRegistry();
  const onFeed = new Map<string, number>();
  const feed = await LiveFeed.open(target.consoleUrl, target.token, {
    onAlarm: (alarm, at) => {
      if (alarm.triage && !onFeed.has(alarm.id)) onFeed.set(alarm.id, at);
    },
  });
  await sleep(300);
  const gateway = new GatewayClient({ ingestUrl: target.ingestUrl, keys: reg.gatewayKeys, maxAttempts: 1 });
  const warmup = WARMUP_SECONDS * RATE;
  const answers: { sentAt: number; answeredAt: number; alarmId?: string }[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const { gatewayId, event } = events[i]!;
    inFlight.push(
      gateway.sendEvent(gatewayId, { ...event, occurredAt: new Date().toISOString() }).then(
        (d) => {
          if (i < warmup) return;
          answers.push({ sentAt: d.sentAt, answeredAt: d.answeredAt, alarmId: 'alarmId' in d ? d.alarmId : undefined });
        },
        () => {
          if (i >= warmup) answers.push({ sentAt: NaN, answeredAt: NaN });
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const accepted = answers.filter((a) => a.alarmId);
  const deadline = Date.now() + STRAGGLER_WAIT_MS;
  while (accepted.some((a) => !onFeed.has(a.alarmId!)) && Date.now() < deadline) await sleep(50);
  feed.close();
  gateway.close();
  const seen = accepted.filter((a) => onFeed.has(a.alarmId!));
  return {
    post: summarise(accepted.map((a) => a.answeredAt - a.sentAt)),
    feed: summarise(seen.map((a) => onFeed.get(a.alarmId!)! - a.answeredAt)),
    total: summarise(seen.map((a) => onFeed.get(a.alarmId!)! - a.sentAt)),
    sent: answers.length,
    errors: answers.length - accepted.length,
    missing: accepted.length - seen.length,
  } satisfies Run;
}

async function baseline(events: BenchEvent[]): Promise<Run> {
  const bare = spawnScript('bare-server', ['load-tests/support/bare-server.ts', String(BARE_PORT)], {});
  try {
    const url = `http://127.0.0.1:${BARE_PORT}`;
    await waitReady([url]);
    return await measure({ ingestUrl: url, consoleUrl: url, token: 'none' }, events);
  } finally {
    await stopProcess(bare);
  }
}

async function services(events: BenchEvent[]): Promise<Run> {
  const stack = await startStack({
    database: 'responscenter_bench',
    redisPrefix: 'rc-bench',
    ports: { ingest: 18280, console: 18281, worker: 18282 },
    adminPassword: ADMIN_PASSWORD,
  });
  try {
    const console_ = new JsonClient(stack.consoleUrl);
    const admin = await login(stack.consoleUrl, 'admin', ADMIN_PASSWORD);
    const put = await console_.request('PUT', '/v1/admin/registry', registryBody(demoRegistry()), {
      authorization: `Bearer ${admin}`,
    });
    console_.close();
    if (put.status !== 200) throw new Error(`registry import answered ${put.status}: ${JSON.stringify(put.body)}`);
    const token = await login(stack.consoleUrl, ALL_MUNICIPALITIES_LOGIN.username, ALL_MUNICIPALITIES_LOGIN.password);
    return await measure({ ingestUrl: stack.ingestUrl, consoleUrl: stack.consoleUrl, token }, events);
  } finally {
    await stack.stop();
  }
}

const n = RATE * (WARMUP_SECONDS + SECONDS);
const reg = demoRegistry();
console.error(`latency: ${RATE} alarms/s for ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up, floor first`);
const floor = await baseline(benchEvents(reg, n, `floor-${Date.now().toString(36)}-`));
const subject = await services(benchEvents(reg, n, `bench-${Date.now().toString(36)}-`));

const header = '| measured | samples | p50 ms | p95 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |';
console.log(`
Latency, ${new Date().toISOString()}, ${machine()}
${RATE} alarms/s for ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up), realistic type mix, 3 service processes

${header}
${row('services: 202 received → triaged on live feed', subject.feed)}
${row('services: POST sent → 202', subject.post)}
${row('services: POST sent → triaged on live feed', subject.total)}
${row('floor: 202 received → message on bare ws', floor.feed)}
${row('floor: POST sent → 202 from bare Fastify', floor.post)}

services: ${subject.sent} sent, ${subject.errors} not accepted, ${subject.missing} accepted but not seen triaged on the feed
floor:    ${floor.sent} sent, ${floor.errors} not accepted, ${floor.missing} not seen
ratios (services / floor): 202 → feed p50 ${ratio(subject.feed.p50, floor.feed.p50)}, p99 ${ratio(subject.feed.p99, floor.feed.p99)}; POST → 202 p50 ${ratio(subject.post.p50, floor.post.p50)}, p99 ${ratio(subject.post.p99, floor.post.p99)}
target p99 (202 → triaged on feed) < 50 ms: ${subject.feed.p99 < 50 ? 'met' : 'NOT met'} (${ms(subject.feed.p99)} ms)`);
process.exit(subject.errors || subject.missing ? 1 : 0);
