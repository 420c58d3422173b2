// Why triage advised what it did: reasons as keys with parameters, and their words in Danish and
// English. Pure. The alarm view carries both the keys (`triage.reasonKeys`, for a console to translate)
// and the English text (`triage.reasons`, the contract's human-readable strings). The console's copies
// of these words (web/src/locales/*.json, `reason.*`) are held equal to this catalogue by a test.
//
// Placeholders are i18next's: `{{name}}`.

export const REASON_TEXT = {
  smoke: {
    en: 'smoke/heat/gas detector: dispatch at once, consider 112',
    da: 'røg-/varme-/gasdetektor: send hjælp straks, overvej 112',
  },
  fall_voice: {
    en: 'fall detector with voice contact: send help unless speaking to the citizen clears it',
    da: 'faldalarm med talekontakt: send hjælp, medmindre samtalen med borgeren afklarer det',
  },
  fall_no_voice: { en: 'fall detector, no voice contact', da: 'faldalarm uden talekontakt' },
  epilepsy: { en: 'seizure sensor', da: 'epilepsialarm' },
  cancelled: { en: 'cancelled by the citizen on the device', da: 'annulleret af borgeren på enheden' },
  cancelled_after: {
    en: 'cancelled by the citizen on the device after {{seconds}} s',
    da: 'annulleret af borgeren på enheden efter {{seconds}} s',
  },
  cancelled_late: {
    en: 'cancelled on the device only after {{seconds}} s (this municipality settles cancels within {{window}} s): call to check',
    da: 'annulleret på enheden først efter {{seconds}} s (kommunen godtager annulleringer inden for {{window}} s): ring op og tjek',
  },
  closes_itself: {
    en: 'closes itself by the municipality’s settings',
    da: 'lukker sig selv efter kommunens indstillinger',
  },
  pendant_no_answer: {
    en: 'pendant pressed, no answer on the voice line',
    da: 'nødkald uden svar på talelinjen',
  },
  pendant_no_voice_link: {
    en: 'pendant pressed, no voice connection to the unit',
    da: 'nødkald uden taleforbindelse til enheden',
  },
  pendant_voice: { en: 'pendant pressed with voice contact', da: 'nødkald med talekontakt' },
  pendant_voice_unknown: {
    en: 'pendant pressed, voice contact not reported',
    da: 'nødkald, talekontakt ikke oplyst',
  },
  sensor_no_answer: {
    en: 'sensor alarm, and the citizen does not answer',
    da: 'sensoralarm, og borgeren svarer ikke',
  },
  wandering_night: { en: 'wandering sensor at night', da: 'vandringsalarm om natten' },
  wandering: { en: 'wandering sensor', da: 'vandringsalarm' },
  door_night: { en: 'door opened at night', da: 'dør åbnet om natten' },
  door: { en: 'door sensor', da: 'dørsensor' },
  bed_exit_night: { en: 'out of bed at night', da: 'ude af sengen om natten' },
  bed_exit: { en: 'bed sensor', da: 'sengesensor' },
  medication: { en: 'pill dispenser: dose not taken', da: 'medicindispenser: dosis ikke taget' },
  planned_call: {
    en: 'planned call: escalate when not answered',
    da: 'planlagt opkald: eskalér hvis det ikke besvares',
  },
  night_check: { en: 'night supervision check', da: 'natligt tilsyn' },
  planned_call_no_answer: {
    en: 'planned call not answered: send someone',
    da: 'planlagt opkald ikke besvaret: send nogen ud',
  },
  planned_retry: {
    en: 'attempt {{attempt}}: the citizen was not reached before, send someone if not now',
    da: 'forsøg {{attempt}}: borgeren blev ikke nået før, send nogen ud hvis ikke nu',
  },
  type_visit_risk: {
    en: 'a visit cannot be ruled out: {{percent}} % of these alarms here needed one',
    da: 'et besøg kan ikke udelukkes: {{percent}} % af disse alarmer her krævede et',
  },
  type_visit_risk_low: {
    en: 'these alarms here seldom needed a visit ({{percent}} %)',
    da: 'disse alarmer her krævede sjældent et besøg ({{percent}} %)',
  },
  visit_risk_low: {
    en: 'comparable presses seldom needed a visit ({{percent}} %)',
    da: 'lignende nødkald krævede sjældent et besøg ({{percent}} %)',
  },
  visit_risk: {
    en: 'a visit cannot be ruled out: {{percent}} % of comparable presses needed one',
    da: 'et besøg kan ikke udelukkes: {{percent}} % af lignende nødkald krævede et',
  },
  cancel_event: {
    en: 'cancel event: closes the related press',
    da: 'annullering: lukker det tilhørende nødkald',
  },
  heartbeat_missed: {
    en: 'unit silent: citizen unprotected until repaired',
    da: 'enheden er tavs: borgeren er ubeskyttet indtil den er repareret',
  },
  test: { en: 'periodic test transmission', da: 'periodisk testsignal' },
  technical_low_battery: {
    en: 'technical event (low battery): maintenance task',
    da: 'teknisk hændelse (lavt batteri): serviceopgave',
  },
  technical_mains_failure: {
    en: 'technical event (mains failure): maintenance task',
    da: 'teknisk hændelse (strømsvigt): serviceopgave',
  },
  technical_mains_restored: {
    en: 'technical event (mains restored): maintenance task',
    da: 'teknisk hændelse (strøm genoprettet): serviceopgave',
  },
  technical_tamper: {
    en: 'technical event (tamper): maintenance task',
    da: 'teknisk hændelse (sabotage): serviceopgave',
  },
  no_rule: { en: 'no rule for {{type}}', da: 'ingen regel for {{type}}' },
  repeated: { en: 'repeated alarm: {{count}} in this incident', da: 'gentaget alarm: {{count}} i denne hændelse' },
  late: { en: 'arrived {{minutes}} min late', da: 'modtaget {{minutes}} min forsinket' },
  learned_phone: {
    en: 'the citizen’s recent presses were mostly settled by phone ({{percent}} %)',
    da: 'borgerens seneste nødkald blev mest klaret pr. telefon ({{percent}} %)',
  },
  learned_visit: {
    en: 'the citizen’s recent presses mostly needed a visit ({{percent}} %)',
    da: 'borgerens seneste nødkald krævede oftest et besøg ({{percent}} %)',
  },
  learned_false: {
    en: 'the citizen’s recent presses were mostly accidental ({{percent}} %)',
    da: 'borgerens seneste nødkald var oftest fejltryk ({{percent}} %)',
  },
  prior_phone: {
    en: 'presses here are mostly settled by phone ({{percent}} %); no history for the citizen yet',
    da: 'nødkald her klares mest pr. telefon ({{percent}} %); borgeren har ingen historik endnu',
  },
  prior_visit: {
    en: 'presses here mostly need a visit ({{percent}} %); no history for the citizen yet',
    da: 'nødkald her kræver oftest et besøg ({{percent}} %); borgeren har ingen historik endnu',
  },
  prior_false: {
    en: 'presses here are mostly accidental ({{percent}} %); no history for the citizen yet',
    da: 'nødkald her er oftest fejltryk ({{percent}} %); borgeren har ingen historik endnu',
  },
  night_press: {
    en: 'pressed at night: call rather than close',
    da: 'trykket om natten: ring op frem for at lukke',
  },
  low_battery_before: {
    en: 'the unit reported low battery {{minutes}} min before',
    da: 'enheden meldte lavt batteri {{minutes}} min før',
  },
  mains_failure_before: {
    en: 'the unit reported a mains failure {{minutes}} min before',
    da: 'enheden meldte strømsvigt {{minutes}} min før',
  },
  floor_smoke: { en: 'safety floor: smoke alarm', da: 'sikkerhedsgulv: røgalarm' },
  floor_fall_no_voice: {
    en: 'safety floor: fall without voice contact',
    da: 'sikkerhedsgulv: fald uden talekontakt',
  },
  floor_epilepsy_no_voice: {
    en: 'safety floor: epilepsy without voice contact',
    da: 'sikkerhedsgulv: epilepsi uden talekontakt',
  },
  floor_pendant_no_answer: { en: 'safety floor: pendant, no answer', da: 'sikkerhedsgulv: nødkald uden svar' },
  floor_unknown_device: {
    en: 'unknown device: no citizen linked, check the registry',
    da: 'ukendt enhed: ingen borger tilknyttet, tjek registret',
  },
  floor_never_false: {
    en: 'safety floor: a fall, smoke or seizure alarm is never closed as false',
    da: 'sikkerhedsgulv: et fald, en røg- eller epilepsialarm lukkes aldrig som fejlalarm',
  },
  floor_recent_visit: {
    en: 'safety floor: the citizen needed a visit in the last 30 days',
    da: 'sikkerhedsgulv: borgeren har haft brug for et besøg inden for 30 dage',
  },
  floor_heartbeat: {
    en: 'safety floor: the citizen is unprotected while the unit is silent',
    da: 'sikkerhedsgulv: borgeren er ubeskyttet, mens enheden er tavs',
  },
} as const satisfies Record<string, { en: string; da: string }>;

export type ReasonKey = keyof typeof REASON_TEXT;
export const REASON_KEYS = Object.keys(REASON_TEXT) as ReasonKey[];
export type ReasonLanguage = 'en' | 'da';

/** One reason: a key of the catalogue and the values of its placeholders. */
export type TriageReason = { key: ReasonKey; params?: Record<string, string | number> };

/** A reason in words. An unknown placeholder is left as it is. */
export function reasonText(r: TriageReason, language: ReasonLanguage = 'en'): string {
  const text: string = REASON_TEXT[r.key][language];
  const params = r.params;
  if (!params) return text;
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}
