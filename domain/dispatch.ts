// How a dispatch may move (contract: "Dispatches"). Pure: no I/O.
import type { DispatchStatus } from './views.js';

/** A dispatch still needing someone's attention; the others are final. */
export const OPEN_DISPATCH_STATUSES: readonly DispatchStatus[] = ['requested', 'accepted', 'en_route', 'arrived'];

const PROGRESS: readonly DispatchStatus[] = ['requested', 'accepted', 'en_route', 'arrived', 'completed'];

export const isFinalDispatchStatus = (s: DispatchStatus) => !OPEN_DISPATCH_STATUSES.includes(s);

/**
 * A dispatch only moves forward, and may skip steps (a presence code from the unit can report
 * "arrived" before anyone pressed "en route"); it can be cancelled until it is final, and a final
 * dispatch never changes again, so a late or repeated update cannot reopen a closed visit.
 */
export function dispatchTransition(from: DispatchStatus, to: DispatchStatus): 'same' | 'allowed' | 'refused' {
  if (from === to) return 'same';
  if (isFinalDispatchStatus(from)) return 'refused';
  if (to === 'cancelled') return 'allowed';
  return PROGRESS.indexOf(to) > PROGRESS.indexOf(from) ? 'allowed' : 'refused';
}
