// The demo registry in the shape of PUT /v1/admin/registry (contract: "Administration"): the seven
// municipalities, 20–40 fictional citizens each with one alarm unit, one gateway per municipality plus a
// regional one serving two, and demo users of every role with known passwords.
// Deterministic: the same seed gives the same registry, so importing it again only updates.
import type { Role } from '../../domain/roles.js';
import type { Registry } from '../admin/registry.js';
import { MUNICIPALITIES, type Municipality } from './municipalities.js';
import type { FleetDevice } from './profile.js';
import { seededRandom, type Random } from './random.js';

/**
 * ASSUMPTION: 20 citizens for the smallest municipality up to 40 for the largest, in proportion to
 * population: enough to look real in a console, quick to import. A real fleet is far larger (several
 * percent of the 73,000 aged 66+), so each demo unit stands for many recipients.
 */
const MIN_CITIZENS = 20;
const MAX_CITIZENS = 40;

/** The regional gateway serves two neighbouring municipalities in Southern Jutland. */
export const REGIONAL_GATEWAY = {
  id: 'gw-region-syd',
  name: 'Sønderjylland regional gateway (demo)',
  municipalities: ['aabenraa', 'soenderborg'],
};
/** Every third unit in the regional gateway's municipalities reports through it. */
const REGIONAL_EVERY = 3;

export const gatewayIdFor = (municipalityId: string) => `gw-${municipalityId}`;
/** Demo keys are public by design: they only open a demo database. E.g. demo-gw-aabenraa-key-2026. */
export const demoGatewayKey = (gatewayId: string) => `demo-${gatewayId}-key-2026`;

export type DemoLogin = {
  username: string;
  password: string;
  role: Role;
  municipalities: '*' | string[];
  /** The scope as a person reads it. */
  scope: string;
};

const allSeven = MUNICIPALITIES.map((m) => m.id);
const demoLogin = (username: string, role: Role, municipalities: '*' | string[], scope?: string): DemoLogin => ({
  username,
  password: `demo-${username}-1`,
  role,
  municipalities,
  scope: scope ?? (municipalities === '*' ? '* (all)' : municipalities.join(', ')),
});

/** Every role; an operator for all seven and one for a single municipality (contract: roles and scopes). */
export const DEMO_LOGINS: readonly DemoLogin[] = [
  demoLogin('operator', 'operator', allSeven, 'all seven'),
  demoLogin('operator-aabenraa', 'operator', ['aabenraa']),
  demoLogin('supervisor', 'supervisor', '*'),
  demoLogin('planner-aabenraa', 'planner', ['aabenraa']),
  demoLogin('planner-toender', 'planner', ['toender']),
  demoLogin('analyst-toender', 'analyst', ['toender']),
  demoLogin('admin', 'admin', '*'),
];

/** The login the demo and the benchmarks watch the live feed as: an operator of all seven municipalities. */
export const ALL_MUNICIPALITIES_LOGIN = DEMO_LOGINS[0]!;
export const ADMIN_LOGIN = DEMO_LOGINS.find((l) => l.role === 'admin')!;

// Fictional people and places: common Danish first names, surnames and street names.
const FIRST_NAMES = [
  'Inger', 'Kirsten', 'Hanne', 'Grethe', 'Birthe', 'Karen', 'Ruth', 'Else', 'Jytte', 'Bodil', 'Lis', 'Gudrun',
  'Jens', 'Poul', 'Niels', 'Hans', 'Erik', 'Svend', 'Knud', 'Arne', 'Børge', 'Aage', 'Holger', 'Verner',
]; // prettier-ignore
const SURNAMES = [
  'Jensen', 'Nielsen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen',
  'Rasmussen', 'Jørgensen', 'Petersen', 'Madsen', 'Kristensen', 'Olsen', 'Thomsen', 'Poulsen',
]; // prettier-ignore
const STREETS = [
  'Skovvej', 'Kirkevej', 'Møllegade', 'Engvej', 'Bøgevej', 'Birkevej', 'Strandvejen', 'Toftevej',
  'Vestergade', 'Østergade', 'Nørregade', 'Søndergade', 'Præstevænget', 'Lindevej', 'Markvej',
]; // prettier-ignore
const KEY_SAFES = [
  'Nøgleboks ved hoveddøren',
  'Nøgleboks ved bagdøren',
  'Nøgleboks ved carporten',
  'Elektronisk lås (hjemmeplejen)',
];
const NOTES = [
  '',
  '',
  '',
  'Demens; kan være urolig om natten',
  'Går med rollator',
  'Høreapparat, tal tydeligt',
  'Diabetes, insulin morgen og aften',
  'Hund i hjemmet',
  'Datter er kontaktperson',
];

/** A fictional citizen's card: a common Danish name, an address in `postTown`, a phone no one answers. */
export function fictionalPerson(rng: Random, postTown: string) {
  return {
    name: `${rng.pick(FIRST_NAMES)} ${rng.pick(SURNAMES)}`,
    address: `${rng.pick(STREETS)} ${rng.int(1, 120)}, ${postTown}`,
    // Danish subscriber numbers never start with 0, so these cannot reach a real person.
    phone: `+45 0${String(rng.int(0, 9_999_999)).padStart(7, '0')}`,
    keySafe: `${rng.pick(KEY_SAFES)}, kode ${rng.int(1000, 9999)}`,
    notes: rng.pick(NOTES),
  };
}

const citizensIn = (m: Municipality) => {
  const largest = Math.max(...MUNICIPALITIES.map((x) => x.population));
  return Math.round(MIN_CITIZENS + ((MAX_CITIZENS - MIN_CITIZENS) * m.population) / largest);
};

/** Which alarm units exist and which gateway each reports through. Independent of the seed. */
export function demoFleet(): FleetDevice[] {
  return MUNICIPALITIES.flatMap((m) =>
    Array.from({ length: citizensIn(m) }, (_, k) => {
      const i = k + 1;
      const regional = REGIONAL_GATEWAY.municipalities.includes(m.id) && i % REGIONAL_EVERY === 0;
      return {
        deviceId: `DK-${m.deviceTag}-${String(i).padStart(5, '0')}`,
        municipality: m.id,
        gatewayId: regional ? REGIONAL_GATEWAY.id : gatewayIdFor(m.id),
        citizenId: `c-${m.code}-${String(i).padStart(4, '0')}`,
      };
    }),
  );
}

export type DemoRegistry = Registry & {
  /** The units as the traffic model needs them. */
  fleet: FleetDevice[];
  /** API key of each gateway id. */
  gatewayKeys: Map<string, string>;
};

export function demoRegistry(seed = 580): DemoRegistry {
  const rng = seededRandom(seed);
  const fleet = demoFleet();
  const citizens: NonNullable<Registry['citizens']> = fleet.map((d) => {
    const m = MUNICIPALITIES.find((x) => x.id === d.municipality)!;
    return { id: d.citizenId!, municipality: m.id, ...fictionalPerson(rng, m.postTown) };
  });
  const gateways = [
    ...MUNICIPALITIES.map((m) => ({
      id: gatewayIdFor(m.id),
      name: `${m.name} alarm gateway (demo)`,
      municipalities: [m.id],
    })),
    REGIONAL_GATEWAY,
  ].map((g) => ({ ...g, apiKey: demoGatewayKey(g.id), heartbeatSeconds: 300 }));
  return {
    municipalities: MUNICIPALITIES.map((m) => ({ id: m.id, name: m.name, code: m.code })),
    gateways,
    citizens,
    devices: fleet.map((d) => ({ id: d.deviceId, citizenId: d.citizenId!, gatewayId: d.gatewayId })),
    users: DEMO_LOGINS.map((l) => ({
      username: l.username,
      password: l.password,
      role: l.role,
      municipalities: l.municipalities,
    })),
    fleet,
    gatewayKeys: new Map(gateways.map((g) => [g.id, g.apiKey])),
  };
}

/** The registry as PUT /v1/admin/registry, the import CLI and `importRegistry` take it (no simulator fields). */
export function registryBody(reg: DemoRegistry): Registry {
  const { fleet: _fleet, gatewayKeys: _keys, ...body } = reg;
  return body;
}
