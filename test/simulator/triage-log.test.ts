// The demo's lines: one per triaged alarm, timed from its 202 whichever of the two arrives first; alarms
// the simulator did not send are printed without a time; duplicates are counted, not printed.
import { describe, expect, it } from 'vitest';
import type { AlarmView } from '../../domain/views.js';
import type { Accepted, Delivery } from '../../services/simulator/gateway.js';
import { TriageLog } from '../../services/demo/triage-log.js';

const now = new Date().toISOString();
const alarm = (id: string, over: Partial<AlarmView> = {}): AlarmView => ({
  id,
  municipality: 'aabenraa',
  deviceId: 'DK-AAB-00042',
  citizenId: 'c-580-0042',
  unknownDevice: false,
  type: 'pendant',
  occurredAt: now,
  receivedAt: now,
  status: 'triaged',
  triage: { class: 'phone_resolvable', priority: 3, confidence: 0.7, reasons: [], triagedAt: now },
  incidentId: id,
  escalated: false,
  claimedBy: null,
  claimedAt: null,
  outcome: null,
  resolvedAt: null,
  ...over,
});
const accepted = (alarmId: string, acceptedAt: number): Accepted => ({
  alarmId,
  gatewayId: 'gw-aabenraa',
  eventId: `ev-${alarmId}`,
  deviceId: 'DK-AAB-00042',
  acceptedAt,
  batch: false,
});

function setup() {
  const lines: string[] = [];
  const log = new TriageLog({ write: (l) => lines.push(l), clock: () => new Date(2026, 0, 5, 21, 3, 11) });
  return { lines, log };
}

describe('demo triage lines', () => {
  it('prints one line per alarm with the ms from its 202 to the feed, in either order', () => {
    const { lines, log } = setup();
    log.sending(['DK-AAB-00042', 'DK-AAB-00042']);
    log.accepted(accepted('a1', 1000));
    log.seen(alarm('a1', { triage: null, status: 'received' }), 1005); // not triaged yet: nothing
    log.seen(alarm('a1'), 1014);
    log.seen(alarm('a2'), 2030); // feed first, the 202 still on its way
    log.accepted(accepted('a2', 2000));
    log.settled(['DK-AAB-00042', 'DK-AAB-00042']);
    log.seen(alarm('a1', { triage: { ...alarm('a1').triage!, class: 'false_alarm' } }), 3000); // re-advised: once only
    expect(lines).toEqual([
      '21:03:11  aabenraa            pendant           → phone_resolvable  p3   14 ms',
      '21:03:11  aabenraa            pendant           → phone_resolvable  p3   30 ms',
    ]);
    expect(log.summary('last 30 s')).toMatch(/sent 2, accepted 2, duplicates 0, triaged 2; 202 → feed p50 30 ms/);
  });

  it('prints alarms it did not send without a time, and counts duplicates without printing them', () => {
    const { lines, log } = setup();
    log.seen(alarm('h1', { type: 'heartbeat_missed', deviceId: 'gw-toender', municipality: 'toender' }), 10);
    log.sending(['DK-AAB-00042']);
    log.delivered({ alarmId: 'a1', duplicate: true } as Delivery);
    log.settled(['DK-AAB-00042']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^21:03:11 {2}toender +heartbeat_missed +→ phone_resolvable +p3$/);
    expect(lines[0]).not.toMatch(/ms/);
    expect(log.summary('x')).toMatch(/sent 1, accepted 0, duplicates 1, triaged 1/);
  });

  it('waits while a send for the unit is in flight, then prints an alarm that was not ours without a time', () => {
    const { lines, log } = setup();
    log.sending(['DK-AAB-00042']);
    log.seen(alarm('x1'), 5);
    expect(lines).toEqual([]);
    log.settled(['DK-AAB-00042']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/ms/);
  });
});
