// `npm run load -- <scenario>`: one load benchmark, through the real services (ingest, worker and
// console as separate processes, an operator's live feed connected), with its floors measured in the
// same run and every figure beside its floor. Results (markdown) go to stdout, progress to stderr.
// Exit code 0 when nothing was lost, 1 when an alarm was refused, lost or left untriaged (or a service
// exited), 2 for a usage error. Targets missed are reported, not failed on.
//
// Knobs are environment variables (LOAD_SMOKE=1 shrinks every scenario to seconds); see load-tests/RESULTS.md.
import os from 'node:os';
import { batch } from './scenarios/batch.js';
import { ingest } from './scenarios/ingest.js';
import { stats } from './scenarios/stats.js';
import { steady } from './scenarios/steady.js';
import { storm } from './scenarios/storm.js';
import { triage } from './scenarios/triage.js';
import type { Scenario } from './scenarios/types.js';
import { year } from './scenarios/year.js';
import { Progress } from './support/progress.js';
import { heading } from './support/report.js';
import { buildServices, stopAllProcesses } from './support/stack.js';

const SCENARIOS: Record<string, Scenario> = { steady, ingest, batch, storm, year, stats, triage };

const name = process.argv[2] ?? '';
const scenario = SCENARIOS[name];
if (!scenario) {
  const width = Math.max(...Object.keys(SCENARIOS).map((k) => k.length));
  console.error(
    `usage: npm run load -- <scenario>    (LOAD_SMOKE=1 for a run of seconds)\n\n` +
      Object.entries(SCENARIOS)
        .map(([k, s]) => `  ${k.padEnd(width)}  ${s.summary}`)
        .join('\n'),
  );
  process.exit(2);
}

// The services run in process groups of their own: stop them when the benchmark is interrupted.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the services …`);
    void stopAllProcesses().finally(() => process.exit(130));
  });
}

// The services run compiled, as in production: build dist/ once, before the scenario's clock starts.
console.error('compiling the services (npm run build) …');
try {
  await buildServices();
} catch (err) {
  console.error(`load ${name}: ${(err as Error).message}`);
  process.exit(1);
}

const progress = new Progress();
const startedAt = new Date();
const loadAtStart = os.loadavg();
try {
  const { body, ok } = await scenario.run(progress);
  progress.end();
  console.log(`\n${heading(`\`npm run load -- ${name}\` — ${scenario.title}`, startedAt, loadAtStart)}\n\n${body}\n`);
  process.exit(ok ? 0 : 1);
} catch (err) {
  progress.end();
  console.error(`load ${name} failed: ${(err as Error).stack ?? String(err)}`);
  await stopAllProcesses();
  process.exit(1);
}
