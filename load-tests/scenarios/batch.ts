// batch: a gateway backlog through POST /v1/alarms/batch: how many alarms a second are committed, and
// how long until every one of them is triaged on an operator's live feed, beside the floor (a bare
// route parsing the same batch bodies and pushing each event on a bare `ws`) in the same run.
// Target: at least 10,000 alarms/s committed.
//
// LOAD_EVENTS [10000], LOAD_BATCH_SIZE [1000], LOAD_IN_FLIGHT [4], LOAD_WARMUP_EVENTS [1000], LOAD_SEED [1].
import { lost, tally, tallyLine, type Tally } from '../support/accounting.js';
import { asBatches, benchEvents } from '../support/bench-traffic.js';
import { knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, perSecond, resourceTable, servicesAlive, target } from '../support/report.js';
import { isAccepted, sendBatches } from '../support/send.js';
import { withBareFloor, withServices, type Target } from '../support/session.js';
import { ms, ratio, summarise, type Summary } from '../support/stats.js';
import type { Scenario } from './types.js';

const TARGET_PER_SECOND = 10_000;

type Options = { events: number; size: number; inFlight: number; warmup: number };
type Run = {
  batches: number;
  committedPerSecond: number;
  sendMs: number;
  allOnFeedMs: number;
  batchAnswer: Summary;
  feed: Summary;
  tally: Tally;
};

async function measure(t: Target, o: Options, progress: Progress): Promise<Run> {
  const prefix = `batch-${t.kind}-${Date.now().toString(36)}-`;
  const sender = { ingestUrl: t.ingestUrl, keys: t.reg.gatewayKeys, maxAttempts: 3 };
  if (o.warmup > 0) {
    const warm = asBatches(benchEvents(t.reg, o.warmup, `${prefix}w`, seed() + 1), o.size);
    progress.phase(`batch ${t.kind} warm-up`, () => `${o.warmup} events${t.memoryLine?.() ?? ''}`);
    const out = await sendBatches(sender, warm, o.inFlight);
    progress.end();
    await tally(
      t,
      out.flatMap((b) => b.deliveries),
      progress,
      `batch ${t.kind} warm-up`,
    );
  }
  const batches = asBatches(benchEvents(t.reg, o.events, prefix, seed()), o.size);
  let committed = 0;
  progress.phase(
    `batch ${t.kind}`,
    () =>
      `${committed}/${o.events} committed, ${t.feed.triagedAt.size} triaged on the feed (warm-up included)${t.memoryLine?.() ?? ''}`,
  );
  const t0 = performance.now();
  const out = await sendBatches(sender, batches, o.inFlight, (b) => {
    committed += b.deliveries.filter(isAccepted).length;
  });
  const sendMs = Math.max(...out.map((b) => b.answeredAt)) - t0;
  progress.end();
  const deliveries = out.flatMap((b) => b.deliveries);
  const counts = await tally(t, deliveries, progress, `batch ${t.kind}`);
  const accepted = deliveries.filter(isAccepted);
  const onFeed = accepted.map((a) => t.feed.at(a.alarmId)).filter((x) => x !== undefined);
  return {
    batches: batches.length,
    committedPerSecond: perSecond(accepted.length, sendMs),
    sendMs,
    allOnFeedMs: Math.max(...onFeed) - t0,
    batchAnswer: summarise(out.map((b) => b.answeredAt - b.sentAt)),
    feed: summarise(accepted.filter((a) => t.feed.at(a.alarmId)).map((a) => t.feed.at(a.alarmId)! - a.answeredAt)),
    tally: counts,
  };
}

export const batch: Scenario = {
  title: 'batch: a 10,000-event backlog through POST /v1/alarms/batch',
  summary:
    '10,000 events in batches of 1,000, 4 in flight: alarms/s committed, time until all triaged (floor: bare route)',
  async run(progress) {
    const o: Options = {
      events: knob('EVENTS', { normal: 10_000, smoke: 2_000, max: 1_000_000, integer: true }),
      size: knob('BATCH_SIZE', { normal: 1000, smoke: 500, max: 1000, integer: true }),
      inFlight: knob('IN_FLIGHT', { normal: 4, smoke: 4, max: 64, integer: true }),
      warmup: knob('WARMUP_EVENTS', { normal: 1000, smoke: 200, max: 100_000, integer: true, min: 0 }),
    };
    progress.note(
      `batch: ${o.events} events in batches of ${o.size}, ${o.inFlight} in flight, after ${o.warmup} events of warm-up; floor first`,
    );
    const floor = await withBareFloor(progress, (t) => measure(t, o, progress));
    const { result: svc, resources } = await withServices(progress, (t) => measure(t, o, progress));
    const s = (x: number) => (x / 1000).toFixed(2);
    const body = `${o.events} events of the realistic type mix as each gateway's backlog (${svc.batches} batches of at most
${o.size}), ${o.inFlight} batches in flight, after a warm-up of ${o.warmup} events (not counted). Times from the
first batch sent.

| measured | services | floor | services ÷ floor |
| --- | --- | --- | --- |
| alarms committed per second (accepted ÷ time to the last 202) | ${int(svc.committedPerSecond)} | ${int(floor.committedPerSecond)} | ${ratio(svc.committedPerSecond, floor.committedPerSecond)} |
| time to the last 202, s | ${s(svc.sendMs)} | ${s(floor.sendMs)} | ${ratio(svc.sendMs, floor.sendMs)} |
| time until all are triaged on the live feed, s | ${s(svc.allOnFeedMs)} | ${s(floor.allOnFeedMs)} | ${ratio(svc.allOnFeedMs, floor.allOnFeedMs)} |
| batch POST → 202, p50 / p99 / max ms | ${ms(svc.batchAnswer.p50)} / ${ms(svc.batchAnswer.p99)} / ${ms(svc.batchAnswer.max)} | ${ms(floor.batchAnswer.p50)} / ${ms(floor.batchAnswer.p99)} / ${ms(floor.batchAnswer.max)} | p50 ${ratio(svc.batchAnswer.p50, floor.batchAnswer.p50)}, p99 ${ratio(svc.batchAnswer.p99, floor.batchAnswer.p99)} |
| an alarm's 202 → triaged on the feed, p50 / p99 ms | ${ms(svc.feed.p50)} / ${ms(svc.feed.p99)} | ${ms(floor.feed.p50)} / ${ms(floor.feed.p99)} | p50 ${ratio(svc.feed.p50, floor.feed.p50)}, p99 ${ratio(svc.feed.p99, floor.feed.p99)} |

${tallyLine('services', svc.tally)}
${tallyLine('floor', floor.tally)}
${target(`at least ${int(TARGET_PER_SECOND)} alarms/s committed`, svc.committedPerSecond >= TARGET_PER_SECOND, `${int(svc.committedPerSecond)}/s`)}

${resourceTable(resources)}`;
    return { body, ok: !lost(svc.tally) && !lost(floor.tally) && servicesAlive(resources) };
  },
};
