// Wire shapes of the gateway API (contract: "Gateways → ingest"). Lenient on the wire (unknown fields
// are ignored), strict in the store (every stored field is checked).
//
// What is refused, and why. An event is refused with 400 invalid_event, naming the field, when the
// database could not store it exactly as sent; otherwise it would reach the commit, fail there, be
// answered 503 and be re-sent forever (and, in a group commit, fail the alarms committed with it).
// The rules themselves are domain/storable.ts:
// - eventId (1–128 characters), deviceId (1–64), relatesTo (1–128): no U+0000 (NUL), which Postgres
//   text cannot hold, and no lone UTF-16 surrogate, which is no Unicode text (text would store it as
//   U+FFFD, a different id; the change log's jsonb refuses it). Lengths count UTF-16 code units.
// - type, voice: one of their values.
// - occurredAt: an RFC 3339 date-time with an offset, on a real calendar day, seconds 00–59 (no leap
//   second), any number of fraction digits (stored to the microsecond); not in the year 0000 (Postgres
//   has none: the year before 0001 is 1 BC); offset at most ±15:59 (Postgres' limit); no later than
//   9999-12-31T23:59:59.998Z in UTC, so it reads back as an RFC 3339 time in UTC with a four-digit year.
// - batteryPercent: an integer 0–100 (the column is a smallint; JSON numbers beyond double range parse
//   as Infinity and are refused as such).
// - details: a JSON object, at most 32 levels deep (checked first, without recursion, so no later step
//   can overflow the stack on a deeply nested value), with no key or string that is not storable text
//   (as the ids above, at any depth: jsonb refuses both the \u0000 escape and a lone surrogate), no
//   number beyond ±1.8e308 (it would parse as Infinity and be stored as null), and at most 4 KiB of
//   JSON text.
// The batch endpoint applies the same schema to each of its events on its own.
import { z } from 'zod';
import { EVENT_TYPES, VOICE_STATES } from '../../domain/events.js';
import { jsonProblem, refusing, storableText, timestampProblem } from '../../domain/storable.js';

/** details: free JSON, at most 4 KiB (contract). */
export const MAX_DETAILS_BYTES = 4096;
/** details: at most this many levels of objects and arrays; the details object itself is level 1. */
export const MAX_DETAILS_DEPTH = 32;
export const MAX_BATCH_EVENTS = 1000;

export const alarmEvent = z.object({
  eventId: storableText(1, 128).describe('Unique per gateway; the idempotency key'),
  deviceId: storableText(1, 64).describe('The alarm unit'),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.iso
    .datetime({ offset: true })
    .superRefine(refusing(timestampProblem))
    .describe('Device time, RFC 3339 with an offset; years 0001–9999, offset at most ±15:59'),
  voice: z.enum(VOICE_STATES).nullish().describe('Whether a speech connection to the unit succeeded'),
  relatesTo: storableText(1, 128).nullish().describe('The eventId this event follows up (cancel, mains_restored)'),
  batteryPercent: z.number().int().min(0).max(100).nullish(),
  details: z
    .record(z.string(), z.unknown())
    .nullish()
    // One walk, bounded by the limits, before anything else (serialising included) touches the value.
    .superRefine((d, ctx) => {
      const problem =
        d == null ? undefined : jsonProblem(d, { maxDepth: MAX_DETAILS_DEPTH, maxBytes: MAX_DETAILS_BYTES });
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
    })
    .describe(
      `Free JSON object: at most ${MAX_DETAILS_BYTES} bytes, ${MAX_DETAILS_DEPTH} levels deep, no U+0000 or lone surrogate in any key or string`,
    ),
});
export type AlarmEvent = z.infer<typeof alarmEvent>;

export const accepted = z.object({ alarmId: z.string().uuid(), duplicate: z.boolean() });

export const batchRequest = z.object({
  // Each element is validated on its own, so one bad event does not reject the others.
  events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS),
});

export const batchResult = z.union([
  z.object({ eventId: z.string().nullable(), alarmId: z.string().uuid(), duplicate: z.boolean() }),
  z.object({ eventId: z.string().nullable(), error: z.string(), message: z.string() }),
]);
export const batchResponse = z.object({ results: z.array(batchResult) });

export const heartbeatRequest = z.object({}).passthrough().nullish();
export const heartbeatResponse = z.object({
  gatewayId: z.string(),
  receivedAt: z.string(),
  heartbeatSeconds: z.number().int(),
});
