// The scenarios' knobs: environment variables LOAD_<NAME>, each with a default for a real run and a
// smaller one for a smoke run (LOAD_SMOKE=1, every scenario in seconds). Every knob has an upper bound,
// so no setting turns a scenario into an unbounded request loop.

export const SMOKE = ['1', 'true', 'yes'].includes((process.env.LOAD_SMOKE ?? '').toLowerCase());

type KnobSpec = {
  normal: number;
  smoke: number;
  max: number;
  integer?: boolean;
  /** Smallest allowed value; without it the knob must be above 0. */
  min?: number;
};

/** The knobs read so far, with the value used: printed with the results. */
const used = new Map<string, number>();

export function knob(name: string, spec: KnobSpec): number {
  const env = `LOAD_${name}`;
  const raw = process.env[env];
  const value = raw === undefined || raw === '' ? (SMOKE ? spec.smoke : spec.normal) : Number(raw);
  // Without a stated minimum a knob must be positive.
  const ok = spec.min === undefined ? value > 0 : value >= spec.min;
  if (!Number.isFinite(value) || !ok) {
    throw new Error(
      `${env} must be a number ${spec.min === undefined ? 'above 0' : `of at least ${spec.min}`} (got ${raw})`,
    );
  }
  if (value > spec.max) throw new Error(`${env} is at most ${spec.max} (got ${raw})`);
  if (spec.integer && !Number.isInteger(value)) throw new Error(`${env} must be a whole number (got ${raw})`);
  used.set(env, value);
  return value;
}

/** The seed of every generated traffic mix (LOAD_SEED, default 1). */
export const seed = () => knob('SEED', { normal: 1, smoke: 1, max: 2 ** 31, integer: true, min: 0 });

/** How long to wait for accepted alarms to show up triaged on the feed after the last send. */
export const drainSeconds = () => knob('DRAIN_SECONDS', { normal: 180, smoke: 60, max: 3600 });

/** `LOAD_RATE=50 LOAD_SECONDS=60 …`: the knobs as this run used them. */
export function knobsUsed(): string {
  return [...(SMOKE ? ['LOAD_SMOKE=1'] : []), ...[...used].map(([k, v]) => `${k}=${v}`)].join(' ');
}
