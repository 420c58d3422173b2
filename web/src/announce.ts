// New alarms announce themselves: the row flashes, a sound plays (a distinct one for priority 1, another
// for an escalation), and a screen reader hears it (aria-live). The operator can mute the sound; the
// choice is kept in this browser. Tones are made with WebAudio oscillators: no audio files.
//
// A browser plays sound only after a user gesture on the page: the login click is one; after a reload
// with a live session, the first click or key press unlocks it (until then `soundBlocked` says so).
import { signal } from '@preact/signals';
import type { AlarmView } from '../../domain/views.js';
import type { Dispatch, Role } from './api.js';
import { onFeed } from './feed.js';
import { t } from './i18n.js';

const MUTE_KEY = 'rc.muted';
/** How long a row flashes after a new event. */
const FLASH_MS = 4000;
/** An alarm untriaged this long is announced without its priority rather than wait for triage. */
const TRIAGE_WAIT_MS = 1500;
/** Sounds closer together than this are merged into the more urgent one. */
const SOUND_GAP_MS = 1500;

export const muted = signal(localStorage.getItem(MUTE_KEY) === '1');
export function toggleMute(): void {
  muted.value = !muted.value;
  localStorage.setItem(MUTE_KEY, muted.value ? '1' : '0');
}

/** The latest announcement, read out by the page's aria-live region. */
export const announcement = signal('');
/** Ids (incidents, dispatches) flashing now. */
export const flashing = signal<ReadonlySet<string>>(new Set());
/** The page is flashing (a new alarm somewhere, perhaps scrolled out of view or filtered out). */
export const pageFlash = signal(false);
/** Sound is on but the browser has not allowed it yet (no click or key press since the page loaded). */
export const soundBlocked = signal(true);

let audio: AudioContext | null = null;

/** Called in a user gesture (the login click, any click or key press): from then on sound may play. */
export function unlockAudio(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
    soundBlocked.value = false;
  } catch {
    // No audio device: the flash and the spoken announcement remain.
  }
}
addEventListener('pointerdown', unlockAudio, { capture: true });
addEventListener('keydown', unlockAudio, { capture: true });

export type Sound = 'alarm' | 'urgent' | 'escalation';
/** [frequency Hz, start ms, length ms] per tone; each sound's rhythm differs, not just its pitch. */
const TONES: Record<Sound, { wave: OscillatorType; tones: [number, number, number][] }> = {
  alarm: {
    wave: 'sine',
    tones: [
      [660, 0, 180],
      [880, 220, 260],
    ],
  },
  urgent: {
    wave: 'square',
    tones: [
      [1050, 0, 110],
      [1050, 160, 110],
      [1050, 320, 110],
      [1400, 480, 320],
    ],
  },
  escalation: {
    wave: 'sawtooth',
    tones: [
      [520, 0, 330],
      [780, 380, 330],
      [520, 760, 330],
      [780, 1140, 330],
    ],
  },
};
const RANK: Record<Sound, number> = { alarm: 1, urgent: 2, escalation: 3 };
let last = { at: 0, rank: 0 };

export function playSound(sound: Sound): void {
  if (muted.peek() || !audio) return;
  const at = Date.now();
  if (at - last.at < SOUND_GAP_MS && RANK[sound] <= last.rank) return;
  last = { at, rank: RANK[sound] };
  const { wave, tones } = TONES[sound];
  const t0 = audio.currentTime + 0.02;
  for (const [frequency, startMs, lengthMs] of tones) {
    const start = t0 + startMs / 1000;
    const end = start + lengthMs / 1000;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = wave;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.2, start + 0.015);
    gain.gain.setValueAtTime(0.2, end - 0.03);
    gain.gain.linearRampToValueAtTime(0, end);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(end + 0.02);
  }
}

const flashTimers = new Map<string, ReturnType<typeof setTimeout>>();
let pageTimer: ReturnType<typeof setTimeout> | undefined;
export function flash(id: string): void {
  clearTimeout(flashTimers.get(id));
  flashing.value = new Set(flashing.value).add(id);
  flashTimers.set(
    id,
    setTimeout(() => {
      flashTimers.delete(id);
      const next = new Set(flashing.value);
      next.delete(id);
      flashing.value = next;
    }, FLASH_MS),
  );
  clearTimeout(pageTimer);
  pageFlash.value = true;
  pageTimer = setTimeout(() => (pageFlash.value = false), FLASH_MS);
}

export function announce(text: string, sound: Sound | null): void {
  // The same words twice would not be read again: a zero-width change makes them new.
  announcement.value = announcement.peek() === text ? `${text}\u200b` : text;
  if (sound) playSound(sound);
}

const typeName = (a: { type: AlarmView['type'] }) => t(`type.${a.type}`);

function announceAlarm(a: AlarmView): void {
  const p = a.triage?.priority;
  const text =
    p === undefined
      ? t('announce.newUntriaged', { type: typeName(a) })
      : t('announce.newAlarm', { type: typeName(a), priority: p });
  announce(text, p === 1 ? 'urgent' : 'alarm');
}

/** Alarms seen arriving untriaged, announced when triaged or after TRIAGE_WAIT_MS, whichever is first. */
const pending = new Map<string, ReturnType<typeof setTimeout>>();

function alarmNews(next: AlarmView, prev: AlarmView | undefined): void {
  if (!prev) {
    flash(next.incidentId);
    if (next.status === 'resolved') return;
    if (next.triage) announceAlarm(next);
    else
      pending.set(
        next.id,
        setTimeout(() => {
          pending.delete(next.id);
          announceAlarm(next);
        }, TRIAGE_WAIT_MS),
      );
    return;
  }
  const waiting = pending.get(next.id);
  if (waiting !== undefined && (next.triage || next.status === 'resolved')) {
    clearTimeout(waiting);
    pending.delete(next.id);
    if (next.status !== 'resolved') announceAlarm(next);
    return;
  }
  if (next.status === 'resolved') return;
  // Escalations are announced by the escalation band (escalations.tsx), which also sees overdue ones.
  if (next.triage?.priority === 1 && prev.triage !== null && prev.triage.priority > 1) {
    // A repeat raised the incident to the most urgent.
    flash(next.incidentId);
    announce(t('announce.raised', { type: typeName(next) }), 'urgent');
  }
}

function dispatchNews(next: Dispatch, prev: Dispatch | undefined, forPlanner: boolean): void {
  if (!prev && forPlanner) {
    flash(next.id);
    announce(t('announce.newDispatch', { type: next.alarmType ? t(`type.${next.alarmType}`) : '' }), 'alarm');
  } else if (prev && prev.status !== next.status) {
    flash(next.id);
  }
}

/** Announce what the feed brings that this role acts on; returns the way to stop. */
export function announceFeed(role: Role): () => void {
  const forPlanner = role === 'planner';
  const stop = onFeed({
    alarm: (next, prev, news) => news && alarmNews(next, prev),
    dispatch: (next, prev, news) => news && dispatchNews(next, prev, forPlanner),
  });
  return () => {
    stop();
    for (const timer of pending.values()) clearTimeout(timer);
    pending.clear();
    announcement.value = '';
  };
}
