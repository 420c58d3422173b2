// The console's words, in Danish (the centres' language). An English switch comes with the i18n library.
import type { AlarmView } from '../../domain/views.js';

export const text = {
  loading: 'Indlæser …',
  username: 'Brugernavn',
  password: 'Adgangskode',
  logIn: 'Log ind',
  logOut: 'Log ud',
  wrongLogin: 'Forkert brugernavn eller adgangskode',
  failed: 'Det lykkedes ikke. Prøv igen.',
  claimedByOther: 'En anden operatør har allerede taget alarmen',
  connection: { connecting: 'Forbinder …', live: 'Forbundet', offline: 'Afbrudt – forbinder igen' },
  openAlarms: (n: number) => `${n} åbne alarmer`,
  municipality: 'Kommune',
  type: 'Type',
  device: 'Enhed',
  triage: 'Vurdering',
  waiting: 'Venter',
  holder: 'Taget af',
  claim: 'Tag',
  untriaged: 'Ikke vurderet endnu',
  unknownDevice: 'Ukendt enhed',
  open: 'Åbn',
  close: 'Luk',
  citizen: 'Borger',
  address: 'Adresse',
  phone: 'Telefon',
  keySafe: 'Nøgleboks',
  notes: 'Noter',
  noCitizen: 'Ingen borger kendt for enheden',
  reasons: 'Vurderingens grunde',
  decision: 'Beslutning',
  note: 'Note',
  keyboard: 'Tast N: tag den mest akutte alarm, som ingen har taget',
  webhooks: {
    title: 'Besøg sendt til kommunernes omsorgssystemer',
    status: { delivered: 'leveret', failing: 'fejler', pending: 'venter', none: 'ingen webhook' },
    since: (time: string) => `siden ${time}`,
    waiting: (n: number) => `${n} venter`,
    alert: (municipalities: string[]) =>
      `Besøg når ikke frem til omsorgssystemet i ${municipalities.join(', ')}: ring besøgene igennem til kommunen, indtil det virker igen.`,
  },
};

const TYPES: Record<AlarmView['type'], string> = {
  pendant: 'Nødkald',
  fall: 'Fald',
  smoke: 'Røg',
  epilepsy: 'Epilepsi',
  bed_exit: 'Ude af sengen',
  door_open: 'Dør åben',
  wandering: 'Vandring',
  medication: 'Medicin',
  cancel: 'Annulleret',
  low_battery: 'Lavt batteri',
  mains_failure: 'Strømsvigt',
  mains_restored: 'Strøm tilbage',
  tamper: 'Sabotage',
  heartbeat_missed: 'Gateway tavs',
  test: 'Test',
  planned_call: 'Planlagt opkald',
  night_check: 'Natligt tilsyn',
};
export const typeName = (t: AlarmView['type']) => TYPES[t];

const CLASSES: Record<NonNullable<AlarmView['triage']>['class'], string> = {
  false_alarm: 'Fejlalarm',
  phone_resolvable: 'Klares pr. telefon',
  dispatch: 'Besøg',
};
export const triageName = (c: NonNullable<AlarmView['triage']>['class']) => CLASSES[c];
