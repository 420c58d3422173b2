// The seven municipalities of the joint response-centre project, with the figures the traffic model
// scales by. Sources: shared/docs/domain.md, "The situation" and "Traffic model for the simulator".

export type Municipality = {
  id: string;
  name: string;
  /** The official municipality code (kommunekode). */
  code: string;
  /** Inhabitants. */
  population: number;
  /** Prefix of the demo devices' ids, e.g. DK-AAB-00042. */
  deviceTag: string;
  /** A postcode and town for the demo's fictional addresses. */
  postTown: string;
};

/**
 * The seven together: 317,108 inhabitants (Danish Life Science Cluster, "Syv danske kommuner vil finde ny
 * model til at håndtere alarmer og kald fra borgere"; domain.md, "The situation").
 */
export const TOTAL_POPULATION = 317_108;

/**
 * Names and codes: domain.md, "The situation". Populations: see each line. The six marked ASSUMPTION are in
 * proportion to public Statistics Denmark figures (FOLK1A, 2023), rounded and adjusted so that the seven
 * add up to the cited 317,108.
 */
export const MUNICIPALITIES: readonly Municipality[] = [
  // Aabenraa about 59,000 inhabitants (domain.md, "Traffic model for the simulator").
  { id: 'aabenraa', name: 'Aabenraa', code: '580', population: 59_000, deviceTag: 'AAB', postTown: '6200 Aabenraa' },
  // ASSUMPTION (in proportion to public figures).
  { id: 'toender', name: 'Tønder', code: '550', population: 36_700, deviceTag: 'TON', postTown: '6270 Tønder' },
  // ASSUMPTION (in proportion to public figures).
  {
    id: 'soenderborg',
    name: 'Sønderborg',
    code: '540',
    population: 73_300,
    deviceTag: 'SON',
    postTown: '6400 Sønderborg',
  },
  // ASSUMPTION (in proportion to public figures).
  { id: 'aeroe', name: 'Ærø', code: '492', population: 5_900, deviceTag: 'AER', postTown: '5970 Ærøskøbing' },
  // ASSUMPTION (in proportion to public figures).
  {
    id: 'ringkoebing-skjern',
    name: 'Ringkøbing-Skjern',
    code: '760',
    population: 56_000,
    deviceTag: 'RKS',
    postTown: '6950 Ringkøbing',
  },
  // ASSUMPTION (in proportion to public figures).
  { id: 'favrskov', name: 'Favrskov', code: '710', population: 49_800, deviceTag: 'FAV', postTown: '8382 Hinnerup' },
  // ASSUMPTION (in proportion to public figures; the remainder of the cited 317,108).
  {
    id: 'vesthimmerland',
    name: 'Vesthimmerland',
    code: '820',
    population: 36_408,
    deviceTag: 'VHI',
    postTown: '9640 Farsø',
  },
];

export function municipality(id: string): Municipality {
  const m = MUNICIPALITIES.find((x) => x.id === id);
  if (!m) throw new Error(`unknown municipality ${id}`);
  return m;
}
