// Wire shapes of the gateway API (contract: "Gateways → ingest"). Lenient on the wire (unknown fields
// are ignored), strict in the store (every stored field is checked).
import { z } from 'zod';
import { EVENT_TYPES, VOICE_STATES } from '../../domain/events.js';

/** details: free JSON, at most 4 KiB (contract). */
export const MAX_DETAILS_BYTES = 4096;
export const MAX_BATCH_EVENTS = 1000;

export const alarmEvent = z.object({
  eventId: z.string().min(1).max(128).describe('Unique per gateway; the idempotency key'),
  deviceId: z.string().min(1).max(64).describe('The alarm unit'),
  type: z.enum(EVENT_TYPES),
  occurredAt: z.iso.datetime({ offset: true }).describe('Device time, RFC 3339'),
  voice: z.enum(VOICE_STATES).nullish().describe('Whether a speech connection to the unit succeeded'),
  relatesTo: z
    .string()
    .min(1)
    .max(128)
    .nullish()
    .describe('The eventId this event follows up (cancel, mains_restored)'),
  batteryPercent: z.number().int().min(0).max(100).nullish(),
  details: z
    .record(z.string(), z.unknown())
    .nullish()
    .refine((d) => d == null || Buffer.byteLength(JSON.stringify(d)) <= MAX_DETAILS_BYTES, {
      message: `details must be at most ${MAX_DETAILS_BYTES} bytes of JSON`,
    }),
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
