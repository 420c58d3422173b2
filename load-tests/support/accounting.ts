// "Nothing lost", checked the same way in every scenario: every event sent was accepted (a 202 with an
// alarm id), every accepted alarm showed up triaged on the connected live feed, and (for the services)
// every accepted alarm is stored in Postgres, triaged, counted from outside by its id.
import { drainSeconds } from './knobs.js';
import type { Progress } from './progress.js';
import { isAccepted, type Outcome } from './send.js';
import type { ServicesTarget, Target } from './session.js';

export type Tally = {
  sent: number;
  accepted: number;
  /** Refused, failed or answered without an alarm id. */
  notAccepted: number;
  /** The first few distinct reasons for not accepting. */
  reasons: string[];
  /** Accepted, but not seen triaged on the feed within the drain time. */
  missingOnFeed: number;
  /** Services only: accepted ids not stored, and stored ones not triaged. */
  notStored?: number;
  untriaged?: number;
};

/** Waits (at most LOAD_DRAIN_SECONDS) until every accepted alarm is triaged on the feed, then tallies. */
export async function tally(
  t: Target,
  outcomes: readonly Outcome[],
  progress: Progress,
  label: string,
  drainMs = drainSeconds() * 1000,
): Promise<Tally> {
  const accepted = outcomes.filter(isAccepted);
  const ids = accepted.map((a) => a.alarmId);
  const waiting = t.feed.waitFor(ids, drainMs);
  progress.phase(`${label}: drain`, () => drainLine(t));
  const missing = await waiting;
  progress.end();
  const reasons = [
    ...new Set(outcomes.filter((o) => !isAccepted(o)).map((o) => ('error' in o ? o.error : 'duplicate'))),
  ];
  const result: Tally = {
    sent: outcomes.length,
    accepted: accepted.length,
    notAccepted: outcomes.length - accepted.length,
    reasons: reasons.slice(0, 3),
    missingOnFeed: missing.length,
  };
  if (t.kind === 'services') Object.assign(result, await storedCheck(t as ServicesTarget, ids));
  return result;
}

/** `980/1000 accepted alarms triaged on the feed · rss …`, while a drain waits. */
export const drainLine = (t: Target) =>
  `${t.feed.waiting.total - t.feed.waiting.missing}/${t.feed.waiting.total} accepted alarms triaged on the feed${t.memoryLine?.() ?? ''}`;

/** Of these alarm ids: how many are not in Postgres, and how many are there but not triaged. */
export async function storedCheck(t: ServicesTarget, ids: readonly string[]) {
  const [row] = await t.query<{ stored: string; untriaged: string }>(
    `SELECT count(*) AS stored, count(*) FILTER (WHERE triaged_at IS NULL) AS untriaged
       FROM alarms WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return { notStored: ids.length - Number(row!.stored), untriaged: Number(row!.untriaged) };
}

export const lost = (t: Tally) =>
  t.notAccepted > 0 || t.missingOnFeed > 0 || (t.notStored ?? 0) > 0 || (t.untriaged ?? 0) > 0;

/** `3000 sent, 3000 accepted, 0 not accepted, 0 accepted but missing from the feed, 0 not stored, 0 untriaged` */
export function tallyLine(who: string, t: Tally): string {
  const parts = [
    `${t.sent} sent`,
    `${t.accepted} accepted`,
    `${t.notAccepted} not accepted${t.reasons.length ? ` (${t.reasons.join('; ')})` : ''}`,
    `${t.missingOnFeed} accepted but not seen triaged on the feed`,
  ];
  if (t.notStored !== undefined) parts.push(`${t.notStored} accepted but not in Postgres`);
  if (t.untriaged !== undefined) parts.push(`${t.untriaged} stored but untriaged`);
  return `${who}: ${parts.join(', ')}${lost(t) ? ' — LOST OR REFUSED ALARMS' : ' — nothing lost'}`;
}
