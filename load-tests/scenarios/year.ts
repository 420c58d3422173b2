// year: a year of Aabenraa's nødkald (24,920 in 2022) from the simulator's traffic model, with its daily
// rhythm, compressed to about two minutes and posted by 24 gateway connections (open loop: each call is
// sent at its compressed time, retried on 503/429 as a gateway would). Every call must be accepted and
// show up triaged on an operator's live feed; beside the same schedule against the bare floor.
// Target: p99 (202 → triaged on the feed) < 100 ms.
//
// LOAD_EVENTS [24920], LOAD_SECONDS [120], LOAD_CONNECTIONS [24], LOAD_SEED [1].
import { lost, tally, tallyLine, type Tally } from '../support/accounting.js';
import { yearOfCalls, type TimedEvent } from '../support/bench-traffic.js';
import { knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, latencyTable, perSecond, resourceTable, servicesAlive, target } from '../support/report.js';
import { isAccepted, openLoop } from '../support/send.js';
import { withBareFloor, withServices, type Target } from '../support/session.js';
import { ms, summarise, type Summary } from '../support/stats.js';
import { demoRegistry } from '../../services/simulator/registry.js';
import type { Scenario } from './types.js';

const TARGET_P99_MS = 100;
const MUNICIPALITY = 'aabenraa';
/** Attempts per call: a gateway re-sends the same eventId after a 503 or 429. */
const MAX_ATTEMPTS = 3;
/** A simulated moment as a date in Copenhagen, e.g. 2026-01-01. */
const localDate = (ms: number) => new Date(ms).toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' });

type Options = { events: number; seconds: number; connections: number };
type Run = {
  feed: Summary;
  post: Summary;
  acceptedPerSecond: number;
  offeredPerSecond: number;
  busiestSecond: number;
  retried: number;
  tally: Tally;
};

/** Calls in the busiest one-second window of the compressed schedule. */
function busiestSecond(atMs: readonly number[]): number {
  let best = 0;
  for (let i = 0, j = 0; i < atMs.length; i++) {
    while (atMs[i]! - atMs[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function measure(t: Target, calls: readonly TimedEvent[], o: Options, progress: Progress): Promise<Run> {
  const prefix = `year-${t.kind}-${Date.now().toString(36)}-`;
  const first = calls[0]!.simAt;
  const scale = (o.seconds * 1000) / (calls[calls.length - 1]!.simAt - first);
  const plan = calls.map((c) => ({
    gatewayId: c.gatewayId,
    event: { ...c.event, eventId: prefix + c.event.eventId },
    atMs: (c.simAt - first) * scale,
  }));
  let answered = 0;
  let accepted = 0;
  progress.phase(
    `year ${t.kind}`,
    () =>
      `simulated ${localDate(calls[Math.min(answered, calls.length - 1)]!.simAt)}: ` +
      `${answered}/${calls.length} answered, ${accepted} accepted, ${t.feed.triagedAt.size} triaged on the feed${t.memoryLine?.() ?? ''}`,
  );
  const t0 = performance.now();
  const outcomes = await openLoop(
    { ingestUrl: t.ingestUrl, keys: t.reg.gatewayKeys, connections: o.connections, maxAttempts: MAX_ATTEMPTS },
    plan,
    {
      maxMs: o.seconds * 1000 + 1000,
      onOutcome: (r) => {
        answered++;
        if (isAccepted(r)) accepted++;
      },
    },
  );
  const lastAnswer = Math.max(...outcomes.map((r) => ('answeredAt' in r ? r.answeredAt : r.sentAt)));
  progress.end();
  const counts = await tally(t, outcomes, progress, `year ${t.kind}`);
  const ok = outcomes.filter(isAccepted);
  const seen = ok.filter((a) => t.feed.at(a.alarmId) !== undefined);
  return {
    feed: summarise(seen.map((a) => t.feed.at(a.alarmId)! - a.answeredAt)),
    post: summarise(ok.map((a) => a.answeredAt - a.sentAt)),
    acceptedPerSecond: perSecond(ok.length, lastAnswer - t0),
    offeredPerSecond: calls.length / o.seconds,
    busiestSecond: busiestSecond(plan.map((p) => p.atMs)),
    retried: ok.filter((a) => a.attempts > 1).length,
    tally: counts,
  };
}

export const year: Scenario = {
  title: "year: Aabenraa's nødkald of a year, compressed to two minutes",
  summary:
    "Aabenraa's 24,920 calls of a year with the daily rhythm in ~2 min, 24 connections (floor: bare Fastify + ws)",
  async run(progress) {
    const o: Options = {
      events: knob('EVENTS', { normal: 24_920, smoke: 500, max: 1_000_000, integer: true }),
      seconds: knob('SECONDS', { normal: 120, smoke: 5, max: 3600 }),
      connections: knob('CONNECTIONS', { normal: 24, smoke: 24, max: 512, integer: true }),
    };
    const calls = yearOfCalls(demoRegistry().fleet, MUNICIPALITY, o.events, '', seed());
    const from = localDate(calls[0]!.simAt);
    const to = localDate(calls[calls.length - 1]!.simAt);
    const speed = (calls[calls.length - 1]!.simAt - calls[0]!.simAt) / (o.seconds * 1000);
    progress.note(
      `year: ${calls.length} calls of ${MUNICIPALITY} (${from} → ${to}) in ${o.seconds} s (×${int(speed)}), ${o.connections} connections; floor first`,
    );
    const floor = await withBareFloor(progress, (t) => measure(t, calls, o, progress));
    const { result: svc, resources } = await withServices(progress, (t) => measure(t, calls, o, progress));
    const types = new Map<string, number>();
    for (const c of calls) types.set(c.event.type, (types.get(c.event.type) ?? 0) + 1);
    const body = `${calls.length} nødkald of Aabenraa's units from the traffic model (${[...types].map(([k, v]) => `${k} ${v}`).join(', ')}),
simulated ${from} → ${to} with the daily rhythm, played ${int(speed)} times faster (${o.seconds} s), by
${o.connections} connections, open loop; a call answered 503/429 or not at all is re-sent with the same eventId,
at most ${MAX_ATTEMPTS} attempts. Offered: ${int(svc.offeredPerSecond)} calls/s on average, ${svc.busiestSecond} in the busiest second.

${latencyTable([
  {
    what: 'services: 202 received → triaged on live feed',
    s: svc.feed,
    floor: { what: 'floor: 202 received → message on bare ws', s: floor.feed },
  },
  {
    what: 'services: POST sent → 202',
    s: svc.post,
    floor: { what: 'floor: POST sent → 202 from bare Fastify', s: floor.post },
  },
])}

accept rate: services ${int(svc.acceptedPerSecond)} alarms/s accepted (${((100 * svc.tally.accepted) / svc.tally.sent).toFixed(2)} % of calls; ${svc.retried} needed a re-send), floor ${int(floor.acceptedPerSecond)}/s (${((100 * floor.tally.accepted) / floor.tally.sent).toFixed(2)} %)
${tallyLine('services', svc.tally)}
${tallyLine('floor', floor.tally)}
${target(`p99 (202 → triaged on feed) < ${TARGET_P99_MS} ms`, svc.feed.p99 < TARGET_P99_MS, `${ms(svc.feed.p99)} ms`)}

${resourceTable(resources)}`;
    return { body, ok: !lost(svc.tally) && !lost(floor.tally) && servicesAlive(resources) };
  },
};
