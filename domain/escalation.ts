// Escalation: what happens when a deadline passes with nobody acting. Pure: no I/O, no clock.
//
// Three deadlines, each a stored timestamp plus the municipality's limit (migrations/0004, 0006):
//  - unanswered:   an alarm not claimed within the answer target after receipt;
//  - unresolved:   a claimed alarm still open `unresolvedAfterMinutes` after the claim;
//  - not_accepted: a dispatch home care has not accepted `dispatchAcceptMinutes` after the request;
//                  it escalates back to the operators.
// Each escalates once. An escalation is history: the alarm's `escalated` stays true and its
// `escalation` names the latest one. Whether it still asks for someone follows from the status: an
// `unanswered` escalation until the alarm is claimed, `unresolved` until it is resolved, `not_accepted`
// until home care accepts the dispatch (or it is cancelled); db/escalations.ts says it in SQL.
import type { EventType, Lane } from './events.js';
import { isTechnicalOrTest } from './events.js';

export const ALARM_ESCALATION_REASONS = ['unanswered', 'unresolved'] as const;
export type AlarmEscalationReason = (typeof ALARM_ESCALATION_REASONS)[number];
export const ESCALATION_REASONS = [...ALARM_ESCALATION_REASONS, 'not_accepted'] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/**
 * The limits a municipality gets when the registry gives none (the column defaults of migrations/0004):
 * 60 s is the TSA code of practice's answer target (97.5 % of alarm calls answered within 60 s).
 * ASSUMPTION: 15 and 10 minutes; no source gave those.
 */
export const DEFAULT_LIMITS = {
  answerTargetSeconds: 60,
  unresolvedAfterMinutes: 15,
  dispatchAcceptMinutes: 10,
} as const;

/**
 * Whether an alarm of this type has an answer target. Technical events and tests do not: they count
 * in no answer statistic (contract: monthly statistics), and a storm of them must not bury the
 * supervisor in escalations. Every other alarm has one, triaged or not. These are exactly the types
 * outside the technical lane, which is how SQL asks (db/escalations.ts, the partial index in
 * migrations/0006); test/triage/escalation.test.ts checks that the two agree.
 */
export const hasAnswerTarget = (type: EventType): boolean => !isTechnicalOrTest(type);
/** The lane whose alarms have no answer target (see hasAnswerTarget). */
export const LANE_WITHOUT_ANSWER_TARGET: Lane = 'technical';
