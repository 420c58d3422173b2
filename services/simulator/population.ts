// A realistic fleet for a history: the seven municipalities, or the whole country with synthetic ones,
// each with as many alarm recipients as its nødkald imply. Pure: the same count and seed give the same
// municipalities and fleet.
import { MUNICIPALITIES, TOTAL_POPULATION, type Municipality } from './municipalities.js';
import {
  MEAN_NOEDKALD_PER_RECIPIENT_MONTH,
  NOEDKALD_PER_DAY_AABENRAA,
  REFERENCE_POPULATION,
  type FleetDevice,
} from './profile.js';
import { seededRandom } from './random.js';

/** Denmark's municipalities since 2007. */
export const DANISH_MUNICIPALITIES = 98;
/** ASSUMPTION: Denmark has about 5.95 million inhabitants (Statistics Denmark, FOLK1A, 2024, rounded). */
export const DENMARK_POPULATION = 5_950_000;

/**
 * `n` municipalities: the seven of the project first; beyond them synthetic ones (`municipality-008` …),
 * sharing what the seven leave of Denmark's population when n is 98, or the seven's average each
 * otherwise. ASSUMPTION: the synthetic populations vary log-normally around their mean, as Danish
 * municipalities do (from under 2,000 to over 600,000).
 */
export function municipalitiesFor(n: number, seed = 98): Municipality[] {
  if (!Number.isInteger(n) || n < 1 || n > DANISH_MUNICIPALITIES)
    throw new Error(`municipalities must be 1–${DANISH_MUNICIPALITIES} (got ${n})`);
  if (n <= MUNICIPALITIES.length) return MUNICIPALITIES.slice(0, n);
  const extra = n - MUNICIPALITIES.length;
  const rest = n === DANISH_MUNICIPALITIES ? DENMARK_POPULATION - TOTAL_POPULATION : (TOTAL_POPULATION / 7) * extra;
  const rng = seededRandom(seed);
  const weights = Array.from({ length: extra }, () =>
    Math.exp(0.8 * Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-9))) * Math.cos(2 * Math.PI * rng.next())),
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const synthetic = weights.map((w, i): Municipality => {
    const k = String(MUNICIPALITIES.length + i + 1).padStart(3, '0');
    return {
      id: `municipality-${k}`,
      name: `Municipality ${k} (synthetic)`,
      code: `S${k}`,
      population: Math.max(1_500, Math.round((rest * w) / total)),
      deviceTag: `S${k}`,
      postTown: `${9000 + i} Syntetisk ${k}`,
    };
  });
  return [...MUNICIPALITIES, ...synthetic];
}

/**
 * Alarm recipients of a municipality: its nødkald a month (Aabenraa's 68 a day, scaled by population)
 * over the mean per recipient (profile.ts). Aabenraa: about 1,380.
 */
export const recipientsIn = (m: Municipality): number =>
  Math.max(
    10,
    Math.round(
      (NOEDKALD_PER_DAY_AABENRAA * (m.population / REFERENCE_POPULATION) * 365.25) /
        12 /
        MEAN_NOEDKALD_PER_RECIPIENT_MONTH,
    ),
  );

export const historyGatewayId = (m: Municipality) => `gw-${m.id}`;

/** One unit per recipient, reporting through its municipality's gateway. */
export function historyFleet(municipalities: readonly Municipality[]): FleetDevice[] {
  return municipalities.flatMap((m) =>
    Array.from({ length: recipientsIn(m) }, (_, k) => ({
      deviceId: `DK-${m.deviceTag}-${String(k + 1).padStart(5, '0')}`,
      municipality: m.id,
      gatewayId: historyGatewayId(m),
      citizenId: `c-${m.code}-${String(k + 1).padStart(5, '0')}`,
    })),
  );
}
