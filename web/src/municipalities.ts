// The user's municipalities (GET /v1/municipalities): their names, and the answer target each sets
// for its alarms (the board's countdowns).
import { computed, signal } from '@preact/signals';
import { municipalities as readMunicipalities, type Municipality } from './api.js';

/** The contract's default answer target (UK TSA code of practice: alarm calls answered within 60 s). */
export const DEFAULT_ANSWER_TARGET_SECONDS = 60;

export const municipalities = signal<readonly Municipality[]>([]);
const byId = computed(() => new Map(municipalities.value.map((m) => [m.id, m])));

export const municipalityName = (id: string) => byId.value.get(id)?.name ?? id;
export const answerTargetSeconds = (id: string) =>
  byId.value.get(id)?.answerTargetSeconds ?? DEFAULT_ANSWER_TARGET_SECONDS;

let session = 0;

export function loadMunicipalities(): void {
  const mine = session;
  readMunicipalities().then(
    (list) => {
      if (mine === session) municipalities.value = [...list].sort((a, b) => a.name.localeCompare(b.name, 'da'));
    },
    () => setTimeout(() => mine === session && loadMunicipalities(), 5000),
  );
}

export function forgetMunicipalities(): void {
  session++;
  municipalities.value = [];
}
