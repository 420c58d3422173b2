// `npm run eval:triage`: a simulated year of one municipality's calls, each with its true outcome,
// replayed through the real triage rules, and the rules plus learning, side by side
// (services/simulator/eval-triage.ts). The report (markdown) on stdout; exit 0 whether or not the targets
// are met (the report says), 2 for a usage error.
import { parseArgs } from 'node:util';
import { evaluateTriage, formatEvaluation } from '../services/simulator/eval-triage.js';
import { MUNICIPALITIES } from '../services/simulator/municipalities.js';
import { DEFAULT_OPERATOR_ERROR_RATE } from '../services/simulator/operator.js';

const USAGE = `usage: npm run eval:triage -- [--seed 2026] [--municipality aabenraa] [--year 2025] [--months 12]
                             [--error-rate ${DEFAULT_OPERATOR_ERROR_RATE}] [--far-errors 0] [--misses 30|all]

Simulates --months of --year (from 1 January) for one of the seven municipalities
(${MUNICIPALITIES.map((m) => m.id).join(', ')}), the operators deciding each call from its true
outcome with --error-rate errors (--far-errors: the share of them that call a true dispatch a false alarm
or the reverse), and prints accuracy, precision and recall per class, the confusion matrices, the dispatch
recall with every miss (grouped; --misses limits the groups listed) and the share of calls correctly
flagged false alarm or phone, for the rules alone and for the rules plus learning.`;

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      seed: { type: 'string', default: '2026' },
      municipality: { type: 'string', default: 'aabenraa' },
      year: { type: 'string', default: '2025' },
      months: { type: 'string', default: '12' },
      'error-rate': { type: 'string', default: String(DEFAULT_OPERATOR_ERROR_RATE) },
      'far-errors': { type: 'string', default: '0' },
      misses: { type: 'string', default: '30' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  usage((err as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (name: string, raw: string) => {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x)) usage(`--${name} must be a number (got ${raw})`);
  return x;
};
const misses = args.misses === 'all' ? Infinity : number('misses', args.misses);
if (!(misses >= 0)) usage(`--misses must be a number of at least 0 or "all" (got ${args.misses})`);

const startedAt = performance.now();
let evaluation;
try {
  evaluation = evaluateTriage({
    seed: number('seed', args.seed),
    municipality: args.municipality,
    year: number('year', args.year),
    months: number('months', args.months),
    errorRate: number('error-rate', args['error-rate']),
    farErrorShare: number('far-errors', args['far-errors']),
  });
} catch (err) {
  if (err instanceof RangeError)
    usage(`--${err.message.replace('errorRate', 'error-rate').replace('farErrorShare', 'far-errors')}`);
  throw err;
}
console.log(formatEvaluation(evaluation, misses));
console.error(`evaluated in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
