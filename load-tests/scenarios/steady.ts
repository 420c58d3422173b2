// steady: how long from a gateway's 202 until the triaged alarm is on an operator's live feed, at a
// steady rate of the realistic type mix, beside the floor (a bare Fastify route + a bare `ws` push,
// same sender, same rate) measured in the same run. Target: p99 < 10 ms.
//
// LOAD_RATE (alarms/s) [50], LOAD_SECONDS [60], LOAD_WARMUP_SECONDS [5], LOAD_SEED [1].
import { lost, tally, tallyLine, type Tally } from '../support/accounting.js';
import { benchEvents } from '../support/bench-traffic.js';
import { knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { latencyTable, resourceTable, servicesAlive, target } from '../support/report.js';
import { isAccepted, openLoop } from '../support/send.js';
import { withBareFloor, withServices, type Target } from '../support/session.js';
import { ms, summarise, type Summary } from '../support/stats.js';
import type { Scenario } from './types.js';

const TARGET_P99_MS = 10;

type Run = { post: Summary; feed: Summary; total: Summary; tally: Tally };

async function measure(t: Target, progress: Progress, o: { rate: number; seconds: number; warmup: number }) {
  const n = Math.round(o.rate * (o.warmup + o.seconds));
  const warmupCount = Math.round(o.rate * o.warmup);
  const events = benchEvents(t.reg, n, `steady-${t.kind}-${Date.now().toString(36)}-`, seed());
  const plan = events.map((e, i) => ({ ...e, atMs: (i * 1000) / o.rate }));
  let answered = 0;
  let accepted = 0;
  progress.phase(
    `steady ${t.kind}`,
    () =>
      `${answered}/${n} answered, ${accepted} accepted, ${t.feed.triagedAt.size} triaged on the feed${t.memoryLine?.() ?? ''}`,
  );
  const outcomes = await openLoop({ ingestUrl: t.ingestUrl, keys: t.reg.gatewayKeys }, plan, {
    maxMs: (o.warmup + o.seconds) * 1000 + 1000,
    onOutcome: (r) => {
      answered++;
      if (isAccepted(r)) accepted++;
    },
  });
  progress.end();
  const counts = await tally(t, outcomes, progress, `steady ${t.kind}`);
  const measured = outcomes.slice(warmupCount).filter(isAccepted);
  const seen = measured.filter((a) => t.feed.at(a.alarmId) !== undefined);
  return {
    post: summarise(measured.map((a) => a.answeredAt - a.sentAt)),
    feed: summarise(seen.map((a) => t.feed.at(a.alarmId)! - a.answeredAt)),
    total: summarise(seen.map((a) => t.feed.at(a.alarmId)! - a.sentAt)),
    tally: counts,
  } satisfies Run;
}

export const steady: Scenario = {
  title: 'steady: 202 → triaged alarm on the live feed at a steady rate',
  summary: '50 alarms/s for 60 s, realistic type mix: 202 → triaged on the feed, POST → 202 (floor: bare Fastify + ws)',
  async run(progress) {
    const o = {
      rate: knob('RATE', { normal: 50, smoke: 50, max: 2000 }),
      seconds: knob('SECONDS', { normal: 60, smoke: 3, max: 3600 }),
      warmup: knob('WARMUP_SECONDS', { normal: 5, smoke: 1, max: 600, min: 0 }),
    };
    progress.note(`steady: ${o.rate} alarms/s for ${o.seconds} s after ${o.warmup} s of warm-up, floor first`);
    const floor = await withBareFloor(progress, (t) => measure(t, progress, o));
    const { result: svc, resources } = await withServices(progress, (t) => measure(t, progress, o));
    const f = (what: string, s: Summary) => ({ what, s });
    const body = `${o.rate} alarms/s for ${o.seconds} s (after ${o.warmup} s warm-up, not counted), realistic type mix from the
simulator's traffic profile; ingest, worker and console as separate processes; one operator's live feed connected.

${latencyTable([
  {
    what: 'services: 202 received → triaged on live feed',
    s: svc.feed,
    floor: f('floor: 202 received → message on bare ws', floor.feed),
  },
  { what: 'services: POST sent → 202', s: svc.post, floor: f('floor: POST sent → 202 from bare Fastify', floor.post) },
  {
    what: 'services: POST sent → triaged on live feed',
    s: svc.total,
    floor: f('floor: POST sent → message on bare ws', floor.total),
  },
])}

${tallyLine('services', svc.tally)}
${tallyLine('floor', floor.tally)}
${target(`p99 (202 → triaged on feed) < ${TARGET_P99_MS} ms`, svc.feed.p99 < TARGET_P99_MS, `${ms(svc.feed.p99)} ms`)}

${resourceTable(resources)}`;
    return { body, ok: !lost(svc.tally) && !lost(floor.tally) && servicesAlive(resources) };
  },
};
