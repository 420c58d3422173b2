// ingest: durable single-event ingest (POST /v1/alarms, a 202 only after the commit) driven by
// autocannon as the conformance perf check drives it (32 connections, a unique eventId per request),
// with the worker triaging and an operator's feed connected, beside two floors measured in the same run:
//   http floor  — a bare Fastify route that parses the same JSON and answers 202;
//   naive floor — a bare Fastify route doing one INSERT … ON CONFLICT commit per request, pg pool of 16.
//
// LOAD_SECONDS [10], LOAD_WARMUP_SECONDS [3], LOAD_CONNECTIONS [32], LOAD_NAIVE_POOL [16], LOAD_SEED [1].
import autocannon, { type Result } from 'autocannon';
import { drainLine, storedCheck } from '../support/accounting.js';
import { benchEvents } from '../support/bench-traffic.js';
import { drainSeconds, knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, resourceTable, servicesAlive } from '../support/report.js';
import {
  withBareFloor,
  withIngestAlone,
  withNaiveFloor,
  withServices,
  local,
  type ServicesTarget,
} from '../support/session.js';
import { ms, ratio } from '../support/stats.js';
import { demoRegistry } from '../../services/simulator/registry.js';
import type { Scenario } from './types.js';

type Options = { seconds: number; warmup: number; connections: number };
type Run = { result: Result; accepted: string[] };

const reg = demoRegistry();
const ALARM_ID = /"alarmId":"([^"]+)"/;

/** autocannon for `seconds`: each request the mix's next event with a new eventId, its own gateway's key. */
function cannon(
  url: string,
  seconds: number,
  o: Options,
  prefix: string,
  progress: Progress,
  label: string,
  extra: () => string,
) {
  const mix = benchEvents(reg, 2000, '', seed());
  let serial = 0;
  const accepted: string[] = [];
  let answers = 0;
  progress.phase(label, () => `${answers} answered, ${accepted.length} accepted (202)${extra()}`);
  return new Promise<Run>((resolve, reject) =>
    autocannon(
      {
        url: local(url),
        connections: o.connections,
        duration: seconds,
        requests: [
          {
            setupRequest: () => {
              const { gatewayId, event } = mix[serial % mix.length]!;
              const body = { ...event, eventId: `${prefix}${serial++}`, occurredAt: new Date().toISOString() };
              return {
                method: 'POST',
                path: '/v1/alarms',
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${reg.gatewayKeys.get(gatewayId)}`,
                },
                body: JSON.stringify(body),
              };
            },
            onResponse: (status, body) => {
              answers++;
              const id = status === 202 ? ALARM_ID.exec(body)?.[1] : undefined;
              if (id) accepted.push(id);
            },
          },
        ],
      },
      (err, result) => {
        progress.end();
        if (err) reject(err);
        else resolve({ result, accepted });
      },
    ),
  );
}

async function warmThenMeasure(url: string, o: Options, who: string, progress: Progress, extra = () => '') {
  const prefix = `ingest-${who}-${Date.now().toString(36)}-`;
  const warm = await cannon(url, o.warmup, o, `${prefix}w`, progress, `ingest ${who} warm-up`, extra);
  const run = await cannon(url, o.seconds, o, `${prefix}m`, progress, `ingest ${who}`, extra);
  return { run, warm };
}

async function services(t: ServicesTarget, o: Options, progress: Progress) {
  const { run, warm } = await warmThenMeasure(t.ingestUrl, o, 'services', progress, () => t.memoryLine?.() ?? '');
  // Every 202 (warm-up included) must show up triaged on the feed and be stored.
  const ids = [...warm.accepted, ...run.accepted];
  const drainStart = performance.now();
  const waiting = t.feed.waitFor(ids, drainSeconds() * 1000);
  progress.phase('ingest services: drain', () => drainLine(t));
  const missing = await waiting;
  const drainMs = performance.now() - drainStart;
  progress.end();
  const stored = await storedCheck(t, ids);
  const [all] = await t.query<{ n: string }>(`SELECT count(*) AS n FROM alarms WHERE event_id LIKE 'ingest-%'`);
  return { run, accepted: ids.length, missing: missing.length, drainMs, stored, storedTotal: Number(all!.n) };
}

export const ingest: Scenario = {
  title: 'ingest: durable POST /v1/alarms throughput (autocannon) beside the http and naive floors',
  summary: 'autocannon, 32 connections, unique eventIds, worker and console running (floors: bare http, naive commit)',
  async run(progress) {
    const o: Options = {
      seconds: knob('SECONDS', { normal: 10, smoke: 2, max: 600 }),
      warmup: knob('WARMUP_SECONDS', { normal: 3, smoke: 1, max: 120 }),
      connections: knob('CONNECTIONS', { normal: 32, smoke: 32, max: 512, integer: true }),
    };
    const pool = knob('NAIVE_POOL', { normal: 16, smoke: 16, max: 64, integer: true });
    progress.note(
      `ingest: autocannon, ${o.connections} connections, ${o.warmup} s warm-up + ${o.seconds} s each: http floor, naive floor, services`,
    );
    const http = await withBareFloor(progress, (t) => warmThenMeasure(t.ingestUrl, o, 'http-floor', progress));
    const naive = await withNaiveFloor(progress, pool, (url) => warmThenMeasure(url, o, 'naive-floor', progress));
    const { result: svc, resources } = await withServices(progress, (t) => services(t, o, progress));
    const alone = await withIngestAlone(progress, (url) => warmThenMeasure(url, o, 'alone', progress));

    const rate = (r: Result) => r['2xx'] / r.duration;
    const row = (what: string, r: Result) =>
      `| ${what} | ${int(rate(r))} | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${r.non2xx} | ${r.errors + r.timeouts} | ${ratio(rate(r), rate(http.run.result))} | ${ratio(rate(r), rate(naive.run.result))} |`;
    const s = svc.run.result;
    const lat = (floor: Result) =>
      `p50 ${ratio(s.latency.p50, floor.latency.p50)}, p99 ${ratio(s.latency.p99, floor.latency.p99)}`;
    const a = alone.result.run.result;
    const aloneAccepted = alone.result.warm.accepted.length + alone.result.run.accepted.length;
    const perAlarm = (seconds: number) => `${((1000 * seconds) / aloneAccepted).toFixed(2)} ms`;
    const ab = alone.resources.backend;
    const lostAny = svc.missing > 0 || svc.stored.notStored > 0 || svc.stored.untriaged > 0;
    const body = `autocannon in the load generator's process, ${o.connections} connections, ${o.seconds} s after ${o.warmup} s warm-up,
a unique eventId per request, realistic type mix, each event with its own gateway's key. The services
run with the worker triaging and one operator's live feed connected.

| target | alarms/s (2xx) | p50 ms | p99 ms | non-2xx | errors | rate ÷ http floor | rate ÷ naive floor |
| --- | --- | --- | --- | --- | --- | --- | --- |
${row('services: POST /v1/alarms (durable; worker, console and live feed running)', s)}
${row('ingest alone: the same POST, worker and console stopped (nothing triaged, no feed)', a)}
${row(`naive floor: one INSERT … ON CONFLICT commit per request, pg pool ${pool}`, naive.run.result)}
${row('http floor: bare Fastify, parse JSON, answer 202', http.run.result)}

latency ratios, services ÷ http floor: ${lat(http.run.result)}; services ÷ naive floor: ${lat(naive.run.result)}
services: ${svc.accepted} alarms answered 202 (warm-up included), ${svc.missing} of them not seen triaged on the
feed, ${svc.stored.notStored} not in Postgres, ${svc.stored.untriaged} untriaged; ${svc.storedTotal} stored in all (requests
in flight when autocannon stopped are stored but their 202 was not counted); the last was triaged on
the feed ${(svc.drainMs / 1000).toFixed(1)} s after autocannon stopped${lostAny ? ' — LOST OR UNTRIAGED ALARMS' : ' — nothing lost'}
ingest alone: ${aloneAccepted} alarms answered 202 (warm-up included); CPU per alarm answered: ingest
${perAlarm(alone.resources.cpuSeconds)}, Postgres ${perAlarm(ab.postgresCpuSeconds)}, redis-server ${perAlarm(ab.redisCpuSeconds)}; ${int(ab.commits / ab.wallSeconds)} commits/s

${resourceTable(resources)}`;
    return {
      body,
      ok: !lostAny && s.non2xx === 0 && s.errors === 0 && a.non2xx === 0 && a.errors === 0 && servicesAlive(resources),
    };
  },
};
