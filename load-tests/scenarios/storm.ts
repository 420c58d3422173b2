// storm: a mains-failure storm (a power cut makes every unit in an area report at once) posted as
// backlogs while real presses (pendant, fall) keep arriving at a steady rate. A press must not wait
// behind the storm: its 202 → triaged on the feed inside the storm is compared with the same presses on
// a quiet system, measured in the same run after the storm has drained. Nothing may be lost, and every
// storm event must be stored (counted in Postgres). The same run against the bare floor gives the
// storm's floor. Target: press p99 inside the storm < 250 ms.
//
// LOAD_EVENTS (storm events) [10000], LOAD_BATCH_SIZE [500], LOAD_IN_FLIGHT [4], LOAD_RATE (presses/s) [5],
// LOAD_SECONDS (shortest press phase) [20], LOAD_WARMUP_SECONDS [3], LOAD_SEED [1].
import { setTimeout as sleep } from 'node:timers/promises';
import { lost, tally, tallyLine, type Tally } from '../support/accounting.js';
import { benchEvents, stormBatches, type BenchEvent } from '../support/bench-traffic.js';
import { drainSeconds, knob, seed } from '../support/knobs.js';
import type { Progress } from '../support/progress.js';
import { int, latencyTable, perSecond, resourceTable, servicesAlive, target } from '../support/report.js';
import { isAccepted, openLoop, sendBatches, type Outcome, type Planned } from '../support/send.js';
import { withBareFloor, withServices, type ServicesTarget, type Target } from '../support/session.js';
import { ms, ratio, summarise, type Summary } from '../support/stats.js';
import { demoRegistry } from '../../services/simulator/registry.js';
import type { Scenario } from './types.js';

const TARGET_P99_MS = 250;
/** The storm starts this long after the presses. */
const STORM_AFTER_MS = 1_000;
/** Between the drained storm and the quiet presses. */
const QUIET_PAUSE_MS = 2_000;
const PRESS_TYPES = ['pendant', 'fall'] as const;

type Options = { events: number; size: number; inFlight: number; rate: number; seconds: number; warmup: number };
type Presses = { feed: Summary; post: Summary };
type Run = {
  inside: Presses;
  quiet: Presses;
  stormCommittedPerSecond: number;
  stormSendMs: number;
  /** First storm batch sent → last storm event triaged on the feed. */
  stormOnFeedMs: number;
  stormBatchAnswer: Summary;
  stormTally: Tally;
  pressTally: Tally;
  quietTally: Tally;
  pressesInside: number;
  pressesSent: number;
  stored?: { storm: number };
};

const plan = (events: readonly BenchEvent[], rate: number): Planned[] =>
  events.map((e, i) => ({ ...e, atMs: (i * 1000) / rate }));

function presses(t: Target, outcomes: readonly Outcome[], from = -Infinity, to = Infinity): Presses {
  const inside = outcomes.filter(isAccepted).filter((a) => a.sentAt >= from && a.sentAt <= to);
  const seen = inside.filter((a) => t.feed.at(a.alarmId) !== undefined);
  return {
    feed: summarise(seen.map((a) => t.feed.at(a.alarmId)! - a.answeredAt)),
    post: summarise(inside.map((a) => a.answeredAt - a.sentAt)),
  };
}

async function measure(t: Target, o: Options, progress: Progress): Promise<Run> {
  const prefix = `storm-${t.kind}-${Date.now().toString(36)}-`;
  const sender = { ingestUrl: t.ingestUrl, keys: t.reg.gatewayKeys };
  const maxPressMs = (o.seconds + drainSeconds()) * 1000;
  const pressCount = Math.ceil((o.rate * maxPressMs) / 1000);
  // The same presses (types, devices, voice) in each phase; only their eventIds differ.
  const pressesOf = (p: string) => benchEvents(t.reg, pressCount, `${prefix}${p}`, seed(), PRESS_TYPES);

  // Warm-up: presses only, not counted.
  const warmCount = Math.round(o.rate * o.warmup);
  if (warmCount > 0) {
    progress.phase(`storm ${t.kind} warm-up`, () => `${warmCount} presses${t.memoryLine?.() ?? ''}`);
    const warm = await openLoop(sender, plan(pressesOf('w-').slice(0, warmCount), o.rate), {
      maxMs: o.warmup * 1000 + 1000,
    });
    progress.end();
    await tally(t, warm, progress, `storm ${t.kind} warm-up`);
  }

  // The storm phase: presses from t0; the storm from t0 + 1 s; presses go on until the storm is
  // triaged on the feed and at least LOAD_SECONDS have passed.
  const storm = stormBatches(t.reg, o.events, o.size, `${prefix}s-`);
  let stormIds: string[] = [];
  let stormSent = false;
  let stormStart = NaN;
  let stormEnd = NaN;
  let committed = 0;
  let pressed = 0;
  progress.phase(
    `storm ${t.kind}`,
    () =>
      `storm ${committed}/${o.events} committed, ${stormIds.filter((id) => t.feed.at(id) !== undefined).length} triaged on the feed; ` +
      `${pressed} presses answered${t.memoryLine?.() ?? ''}`,
  );
  const t0 = performance.now();
  const stormRun = (async () => {
    await sleep(STORM_AFTER_MS);
    stormStart = performance.now();
    const out = await sendBatches({ ...sender, maxAttempts: 3 }, storm, o.inFlight, (b) => {
      committed += b.deliveries.filter(isAccepted).length;
    });
    stormIds = out.flatMap((b) => b.deliveries.filter(isAccepted).map((d) => d.alarmId));
    stormSent = true;
    const sendMs = Math.max(...out.map((b) => b.answeredAt)) - stormStart;
    // The storm is over once every accepted storm alarm is triaged on the feed (or the drain time is up).
    await t.feed.waitFor(stormIds, drainSeconds() * 1000);
    const times = stormIds.map((id) => t.feed.at(id)).filter((x) => x !== undefined);
    stormEnd = times.length ? Math.max(...times) : performance.now();
    return { out, sendMs };
  })();
  const pressOutcomes = await openLoop(sender, plan(pressesOf('p-'), o.rate), {
    maxMs: maxPressMs,
    stop: () => stormSent && Number.isFinite(stormEnd) && performance.now() - t0 >= o.seconds * 1000,
    onOutcome: () => pressed++,
  });
  const { out, sendMs } = await stormRun;
  progress.end();
  const stormTally = await tally(
    t,
    out.flatMap((b) => b.deliveries),
    progress,
    `storm ${t.kind}: storm events`,
  );
  const pressTally = await tally(t, pressOutcomes, progress, `storm ${t.kind}: presses`);

  // The same presses, as many as in the storm phase, on the quiet system.
  await sleep(QUIET_PAUSE_MS);
  let quietAnswered = 0;
  progress.phase(
    `storm ${t.kind} quiet`,
    () => `${quietAnswered}/${pressOutcomes.length} presses answered${t.memoryLine?.() ?? ''}`,
  );
  const quietOutcomes = await openLoop(sender, plan(pressesOf('q-').slice(0, pressOutcomes.length), o.rate), {
    maxMs: maxPressMs,
    onOutcome: () => quietAnswered++,
  });
  progress.end();
  const quietTally = await tally(t, quietOutcomes, progress, `storm ${t.kind}: quiet presses`);

  const run: Run = {
    inside: presses(t, pressOutcomes, stormStart, stormEnd),
    quiet: presses(t, quietOutcomes),
    stormCommittedPerSecond: perSecond(stormIds.length, sendMs),
    stormSendMs: sendMs,
    stormOnFeedMs: stormEnd - stormStart,
    stormBatchAnswer: summarise(out.map((b) => b.answeredAt - b.sentAt)),
    stormTally,
    pressTally,
    quietTally,
    pressesInside: pressOutcomes.filter((p) => p.sentAt >= stormStart && p.sentAt <= stormEnd).length,
    pressesSent: pressOutcomes.length,
  };
  if (t.kind === 'services') {
    const [row] = await (t as ServicesTarget).query<{ n: string }>(
      `SELECT count(*) AS n FROM alarms WHERE type = 'mains_failure' AND event_id LIKE $1`,
      [`${prefix}s-%`],
    );
    run.stored = { storm: Number(row!.n) };
  }
  return run;
}

export const storm: Scenario = {
  title: 'storm: presses inside a mains-failure storm',
  summary: '10,000 mains_failure in batches of 500, 4 in flight, while presses arrive at 5/s: press latency vs quiet',
  async run(progress) {
    const o: Options = {
      events: knob('EVENTS', { normal: 10_000, smoke: 1_000, max: 1_000_000, integer: true }),
      size: knob('BATCH_SIZE', { normal: 500, smoke: 250, max: 1000, integer: true }),
      inFlight: knob('IN_FLIGHT', { normal: 4, smoke: 4, max: 64, integer: true }),
      rate: knob('RATE', { normal: 5, smoke: 5, max: 500 }),
      seconds: knob('SECONDS', { normal: 20, smoke: 3, max: 3600 }),
      warmup: knob('WARMUP_SECONDS', { normal: 3, smoke: 1, max: 600, min: 0 }),
    };
    progress.note(
      `storm: ${o.events} mains_failure in batches of ${o.size}, ${o.inFlight} in flight, presses at ${o.rate}/s; floor first`,
    );
    const floor = await withBareFloor(progress, (t) => measure(t, o, progress));
    const { result: svc, resources } = await withServices(progress, (t) => measure(t, o, progress));
    const s = (x: number) => (x / 1000).toFixed(2);
    const storedOk = svc.stored?.storm === o.events;
    const body = `${o.events} mains_failure events (the demo registry's ${demoRegistry().fleet.length} units in turn, so each unit reports many
times) as gateway backlogs in batches of ${o.size}, ${o.inFlight} in flight, starting 1 s after presses (pendant and fall from the realistic mix) begin at
${o.rate}/s. "Inside the storm": presses sent between the first storm batch and the last storm alarm
triaged on the feed. "Quiet": the same presses (as many as sent in the storm phase, same types and
devices, new eventIds), at the same rate, on the same system after the storm has drained.

${latencyTable([
  {
    what: `services: press 202 → triaged on feed, inside the storm`,
    s: svc.inside.feed,
    floor: { what: 'services: the same presses, quiet system', s: svc.quiet.feed },
  },
  {
    what: 'services: press POST → 202, inside the storm',
    s: svc.inside.post,
    floor: { what: 'services: the same presses, quiet system', s: svc.quiet.post },
  },
  {
    what: 'bare floor: press 202 → ws message, inside its storm',
    s: floor.inside.feed,
    floor: { what: 'bare floor: quiet', s: floor.quiet.feed },
  },
])}

Ratios in the table: inside the storm ÷ quiet. Presses sent in the storm phase: services ${svc.pressesSent}, of which ${svc.pressesInside}
inside the storm; floor ${floor.pressesSent}, of which ${floor.pressesInside}.

| the storm | services | bare floor | services ÷ floor |
| --- | --- | --- | --- |
| storm events committed per second | ${int(svc.stormCommittedPerSecond)} | ${int(floor.stormCommittedPerSecond)} | ${ratio(svc.stormCommittedPerSecond, floor.stormCommittedPerSecond)} |
| first storm batch sent → last 202, s | ${s(svc.stormSendMs)} | ${s(floor.stormSendMs)} | ${ratio(svc.stormSendMs, floor.stormSendMs)} |
| first storm batch sent → all storm events triaged on the feed, s | ${s(svc.stormOnFeedMs)} | ${s(floor.stormOnFeedMs)} | ${ratio(svc.stormOnFeedMs, floor.stormOnFeedMs)} |
| storm batch POST → 202, p50 / p99 / max ms | ${ms(svc.stormBatchAnswer.p50)} / ${ms(svc.stormBatchAnswer.p99)} / ${ms(svc.stormBatchAnswer.max)} | ${ms(floor.stormBatchAnswer.p50)} / ${ms(floor.stormBatchAnswer.p99)} / ${ms(floor.stormBatchAnswer.max)} | p99 ${ratio(svc.stormBatchAnswer.p99, floor.stormBatchAnswer.p99)} |

${tallyLine('services, storm events', svc.stormTally)}
${tallyLine('services, presses in the storm phase', svc.pressTally)}
${tallyLine('services, quiet presses', svc.quietTally)}
${tallyLine('floor, storm events', floor.stormTally)}
${tallyLine('floor, presses', floor.pressTally)}
storm events stored in Postgres (mains_failure of this storm, counted): ${svc.stored?.storm ?? '—'} of ${o.events}${storedOk ? '' : ' — MISSING STORM EVENTS'}
${target(`press p99 (202 → triaged on feed) inside the storm < ${TARGET_P99_MS} ms`, svc.inside.feed.p99 < TARGET_P99_MS, `${ms(svc.inside.feed.p99)} ms, quiet ${ms(svc.quiet.feed.p99)} ms`)}

${resourceTable(resources)}`;
    const clean = [svc.stormTally, svc.pressTally, svc.quietTally, floor.stormTally, floor.pressTally].every(
      (x) => !lost(x),
    );
    return { body, ok: clean && storedOk && servicesAlive(resources) };
  },
};
