// How the scenarios print: markdown tables, every figure beside its floor and the ratio to it, the
// resources of each service process, and whether each target was met.
import os from 'node:os';
import { knobsUsed } from './knobs.js';
import type { BackendReport } from './backend-probe.js';
import type { Resources } from './session.js';
import { ms, ratio, type Summary } from './stats.js';

export type LatencyRow = { what: string; s: Summary; floor?: { what: string; s: Summary } };

/** Each measured row, then its floor's row; the ratio columns say measured ÷ floor. */
export function latencyTable(rows: readonly LatencyRow[]): string {
  const lines = [
    '| measured | samples | p50 ms | p95 ms | p99 ms | max ms | p50 ÷ floor | p99 ÷ floor |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const cells = (s: Summary) => `${s.n} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.max)}`;
  for (const r of rows) {
    const f = r.floor;
    lines.push(
      `| ${r.what} | ${cells(r.s)} | ${f ? ratio(r.s.p50, f.s.p50) : '—'} | ${f ? ratio(r.s.p99, f.s.p99) : '—'} |`,
    );
    if (f) lines.push(`| ${f.what} | ${cells(f.s)} | 1× | 1× |`);
  }
  return lines.join('\n');
}

const mb = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');

export const IDLE_RSS_TARGET_MB = 150;
export const LOAD_RSS_TARGET_MB = 300;

/** CPU seconds and memory of each service process (and of the load generator, which shares the cores). */
export function resourceTable({ rows, backend: b }: Resources): string {
  const lines = [
    '| process | pid | idle RSS MB | peak RSS MB under load | CPU s under load | CPU % of one core |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const cpu = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  const share = (x: number, wall: number) => (Number.isFinite(x) ? `${((100 * x) / wall).toFixed(0)} %` : '—');
  for (const r of rows) {
    lines.push(
      `| ${r.process}${r.alive ? '' : ' (EXITED)'} | ${r.pid ?? '—'} | ${mb(r.idleMb)} | ${mb(r.peakMb)} | ${cpu(r.cpuSeconds)} | ${share(r.cpuSeconds, r.wallSeconds)} |`,
    );
  }
  lines.push(
    `| Postgres: the ${b.postgresBackends} backends of the benchmark's database | — | — | — | ${cpu(b.postgresCpuSeconds)} | ${share(b.postgresCpuSeconds, b.wallSeconds)} |`,
    `| redis-server (the whole server, shared with any other work) | — | — | — | ${cpu(b.redisCpuSeconds)} | ${share(b.redisCpuSeconds, b.wallSeconds)} |`,
  );
  const services = rows.filter((r) => Number.isFinite(r.idleMb));
  const idle = Math.max(...services.map((r) => r.idleMb));
  const peak = Math.max(...services.map((r) => r.peakMb));
  const wall = rows[0]?.wallSeconds ?? NaN;
  const waits = b.waits
    .filter((w) => w.mean >= 0.05)
    .slice(0, 5)
    .map((w) => `${w.what} ${w.mean.toFixed(1)} (max ${w.max})`)
    .join(', ');
  lines.push(
    '',
    `Measured over ${wall.toFixed(1)} s, from idle (after start-up, registry import and the feed's connection) to the end ` +
      `of the scenario's drain; peak RSS is VmHWM of the node process running each service, reset when idle was taken.`,
    `Postgres, the benchmark's database: ${int(b.commits)} commits (${int(b.commits / b.wallSeconds)}/s); active backends by ` +
      `what they wait on, mean over ${b.samples} one-second samples: ${waits || 'none'}.`,
    ...statementLines(b),
    target(`every service idle RSS < ${IDLE_RSS_TARGET_MB} MB`, idle < IDLE_RSS_TARGET_MB, `largest ${mb(idle)} MB`),
    target(
      `every service peak RSS under load < ${LOAD_RSS_TARGET_MB} MB`,
      peak < LOAD_RSS_TARGET_MB,
      `largest ${mb(peak)} MB`,
    ),
  );
  return lines.join('\n');
}

/** No service process exited during the run. */
export const servicesAlive = (r: Resources) => r.rows.every((x) => x.alive);

export const target = (what: string, met: boolean, figure: string) =>
  `target ${what}: ${met ? 'met' : 'NOT met'} (${figure})`;

/** The heading of a scenario's output: what, when, on what, how busy the machine was, with which knobs. */
export function heading(title: string, startedAt: Date, loadAtStart: number[]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown cpu';
  const minutes = ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1);
  return [
    `### ${title}`,
    '',
    `Started ${startedAt.toISOString()}, took ${minutes} min · ${os.cpus().length} cores (${cpu}), ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()} · ` +
      `load average ${load(loadAtStart)} at the start, ${load(os.loadavg())} at the end · ` +
      `knobs: ${knobsUsed() || '(defaults)'}`,
  ].join('\n');
}

export const perSecond = (count: number, ms: number) => (ms > 0 ? (count * 1000) / ms : NaN);
export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

/** The run's costliest statements, from pg_stat_statements, or a line saying it is not loaded. */
function statementLines(b: BackendReport): string[] {
  if (b.statements === null)
    return [
      'Statements: pg_stat_statements is not loaded on this server (shared_preload_libraries), so no per-statement times.',
    ];
  const whole = (v: number) => v.toFixed(0);
  return [
    '',
    "The benchmark's database's costliest statements during the run (pg_stat_statements; planning is 0 unless " +
      '`pg_stat_statements.track_planning` is on):',
    '',
    '| statement | calls | rows | execution ms | planning ms | ms per call |',
    '| --- | --- | --- | --- | --- | --- |',
    ...b.statements.map(
      (t) =>
        `| \`${t.query.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${int(t.calls)} | ${int(t.rows)} | ${whole(t.execMs)} | ${whole(t.planMs)} | ${((t.execMs + t.planMs) / t.calls).toFixed(3)} |`,
    ),
    '',
  ];
}
