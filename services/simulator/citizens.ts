// The simulated citizens' hidden profiles, and the true outcome of each call they make. Hidden: nothing
// of this reaches an event a gateway sends; the traffic model (profile.ts) draws who calls, what their
// devices report and what the call truly needed from it, the simulated operator (operator.ts) decides
// from that truth, and the triage evaluation (eval-triage.ts) scores the triage's advice against it.
// Pure: a profile follows from the seed and the device id alone. Figures cite shared/docs/domain.md;
// ASSUMPTION marks what no source gave us.
import type { EventType, TriageClass, VoiceState } from '../../domain/events.js';
import { seededRandom, type Random } from './random.js';

/** What a call truly needed, and why (the cause names the hidden situation, for the evaluation's lists). */
export type TrueOutcome = { class: TriageClass; cause: TrueCause };

export type TrueCause =
  | 'serious' // a fall or accident: someone must go
  | 'care_visit' // ordinary care or practical help that needs a visit (toilet, getting up)
  | 'care_phone' // ordinary care or practical help a call settles
  | 'accidental' // an accidental press
  | 'real_fall' // a fall detector that caught a fall
  | 'detector_false' // a fall, seizure or smoke detector that went off without cause
  | 'real_fire' // smoke, heat or gas that needed someone on site
  | 'real_seizure'
  | 'sensor_visit' // a bed, door or wandering sensor: the citizen needed someone
  | 'sensor_phone' // … a call settled it
  | 'sensor_false' // … nothing was wrong
  | 'dose_phone' // a missed dose: a call reminds
  | 'dose_visit' // … nobody answered, home care went
  | 'dose_false' // … the dose was taken late, or the dispenser erred
  | 'planned_phone' // a planned call, held
  | 'planned_visit' // … not answered, home care went
  | 'night_seen' // a night look that found the citizen well
  | 'night_patrol' // … not seen twice: the night patrol went
  | 'cancel' // the citizen's cancel of an accidental press
  | 'technical' // a technical event or test: a maintenance matter, no call
  | 'silence'; // a missing heartbeat: a maintenance task, no call

/** The kinds of emergency a citizen's kit can raise besides the pendant everyone wears. */
export type KitItem = 'fall' | 'smoke' | 'epilepsy' | 'dementia';

export type CitizenProfile = {
  /** 0–1: raises the share of serious presses and of real falls. */
  frailty: number;
  /** 0–1: the tendency to press by accident. */
  accidentalPress: number;
  /** 0–1: practical care needs: how often a call for care needs a visit. */
  practicalNeeds: number;
  /** Among the 1 % of recipients who press far more often than others (profile.ts chooses them). */
  repeatCaller: boolean;
  kit: ReadonlySet<KitItem>;
  /** What a pendant press of this citizen is, as probabilities that add up to 1. */
  press: { serious: number; care: number; accidental: number };
  /** Share of this citizen's care calls that need a visit. */
  careVisit: number;
  /** Probability that a fall detector's alarm is a real fall. */
  realFall: number;
};

/**
 * Outcomes of pendant presses, over all presses: about 6 % serious and about half ordinary care or
 * practical help (M4ALMO, SINTEF A27757), the rest accidental, most cancelled on the device ("up to 50 %
 * of nødkald are errors or can be answered by a phone call", Aabenraa; domain.md "The situation" and
 * "Traffic model").
 */
export const PENDANT_OUTCOMES = { serious: 0.06, care: 0.5, accidental: 0.44 } as const;
/**
 * ASSUMPTION: repeat callers press mostly for reassurance and company (Tellu, "hyppig alarmbruk": the
 * advice is to find the unmet need behind the presses): seldom serious, often care, some by accident.
 */
export const REPEAT_CALLER_PRESS = { serious: 0.02, care: 0.7, accidental: 0.28 } as const;
/**
 * ASSUMPTION: a care call needs a visit one time in five on average ("about half care or practical,
 * mostly phone-resolvable", domain.md), for a repeat caller one in ten; each citizen's share follows their
 * practical needs (0.2–1.8 times the mean).
 */
export const CARE_VISIT_SHARE = 0.2;
export const REPEAT_CALLER_CARE_VISIT_SHARE = 0.1;
/**
 * ASSUMPTION: fall detectors raise mostly false alarms (0.025–0.049 false alarms per hour of wear in
 * studies, domain.md "The call types"): 30 % of their alarms are real falls, more for the frail (8–50 %). The studies' hourly rate cannot hold at Aabenraa's volume (even 276 wearers would raise
 * over 160 a day, more than twice all its nødkald), so the model keeps the alarms' share of nødkald
 * (profile.ts) and takes from the studies that most of them are false.
 */
export const REAL_FALL_SHARE = 0.3;

/**
 * ASSUMPTION: the share of recipients with each kind of device beside the pendant: a fall detector (more
 * often for the frail), a smoke detector linked to the alarm, a seizure sensor, dementia sensors (bed,
 * door, wandering). Each municipality has at least one of each (profile.ts).
 */
export const KIT_SHARE: Record<KitItem, number> = { fall: 0.2, smoke: 0.3, epilepsy: 0.03, dementia: 0.1 };

/** The kit item behind each emergency type (the pendant is everyone's). */
export const KIT_OF: Partial<Record<EventType, KitItem>> = {
  fall: 'fall',
  smoke: 'smoke',
  epilepsy: 'epilepsy',
  bed_exit: 'dementia',
  door_open: 'dementia',
  wandering: 'dementia',
};

/** FNV-1a: a device id's 32-bit hash, so a profile follows from the seed and the id alone. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The light pressers' shares, so that over all presses the shares are PENDANT_OUTCOMES when repeat
 * callers make `repeatShare` of the presses.
 */
export function lightPressShares(repeatShare: number) {
  const light = (k: keyof typeof PENDANT_OUTCOMES) =>
    repeatShare >= 1
      ? PENDANT_OUTCOMES[k]
      : (PENDANT_OUTCOMES[k] - repeatShare * REPEAT_CALLER_PRESS[k]) / (1 - repeatShare);
  return { serious: light('serious'), care: light('care'), accidental: light('accidental') };
}

/**
 * A citizen's hidden profile. `light` are the light pressers' mean shares (`lightPressShares`); a repeat
 * caller's are REPEAT_CALLER_PRESS.
 */
export function citizenProfile(
  seed: number,
  deviceId: string,
  repeatCaller: boolean,
  light: { serious: number; accidental: number },
): CitizenProfile {
  const rng = seededRandom((hash(deviceId) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
  const frailty = rng.next() ** 1.5;
  const accidentalPress = rng.next();
  const practicalNeeds = rng.next();
  // Each factor has mean 1 over the population (frailty = u^1.5 has mean 0.4), so the shares' means are
  // the cited ones.
  const frailFactor = 0.25 + 1.875 * frailty;
  const accidentFactor = 0.3 + 1.4 * accidentalPress;
  const needsFactor = 0.2 + 1.6 * practicalNeeds;
  let press: CitizenProfile['press'];
  if (repeatCaller) press = { ...REPEAT_CALLER_PRESS };
  else {
    const serious = light.serious * frailFactor;
    const accidental = light.accidental * accidentFactor;
    const care = Math.max(0.02, 1 - serious - accidental);
    const total = serious + accidental + care;
    press = { serious: serious / total, care: care / total, accidental: accidental / total };
  }
  const kit = new Set<KitItem>();
  // The frail get fall detectors more often: 10–35 %, 20 % on average.
  if (rng.chance(0.1 + 0.25 * frailty)) kit.add('fall');
  if (rng.chance(KIT_SHARE.smoke)) kit.add('smoke');
  if (rng.chance(KIT_SHARE.epilepsy)) kit.add('epilepsy');
  if (rng.chance(KIT_SHARE.dementia)) kit.add('dementia');
  return {
    frailty,
    accidentalPress,
    practicalNeeds,
    repeatCaller,
    kit,
    press,
    careVisit: (repeatCaller ? REPEAT_CALLER_CARE_VISIT_SHARE : CARE_VISIT_SHARE) * needsFactor,
    // Over the alarms of those who have a detector (the frail more often): E[(0.1 + 0.5 f)(0.1 + 0.25 f)] /
    // E[0.1 + 0.25 f] = 0.35625 for f = u^1.5.
    realFall: (REAL_FALL_SHARE * (0.1 + 0.5 * frailty)) / 0.35625,
  };
}

/** No voice contact: nobody answers, or the speech line to the unit cannot be opened. */
export const silence = (rng: Random): VoiceState => (rng.chance(0.6) ? 'no_answer' : 'unavailable');

/**
 * ASSUMPTION, the voice line by truth: a serious press is silent three times in four (the citizen cannot
 * reach or speak to the unit; a quarter can speak but not get up); a real fall 70 % (a false one 27 %, so
 * that 40 % of fall alarms are silent as before); an accidental press that is not cancelled is answered
 * nine times in ten (the citizen pressed in sleep or did not hear the unit).
 */
export const SERIOUS_SILENT = 0.75;
export const REAL_FALL_SILENT = 0.7;
export const FALSE_FALL_SILENT = 0.27;
export const ACCIDENTAL_ANSWERED = 0.9;
/** ASSUMPTION: nine accidental presses in ten are cancelled on the device within a minute. */
export const ACCIDENTAL_CANCELLED = 0.9;
