// The triage rules' safety floors hold for every combination of inputs.
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, TECHNICAL_TYPES, VOICE_STATES, laneFor, type EventType } from '../../domain/events.js';
import { attemptOf, classify, type TriageInput } from '../../domain/triage.js';

const now = new Date('2026-11-22T21:03:11Z');
const voices = [...VOICE_STATES, null] as const;

function* everyInput(): Generator<TriageInput> {
  for (const type of EVENT_TYPES)
    for (const voice of voices)
      for (const unknownDevice of [false, true])
        for (const cancelled of [false, true])
          for (const earlierInIncident of [0, 1, 5])
            for (const localHour of [3, 9, 23])
              for (const lateMinutes of [0, 90])
                yield {
                  type,
                  voice,
                  unknownDevice,
                  cancelled,
                  earlierInIncident,
                  localHour,
                  batteryPercent: 50,
                  receivedAt: now,
                  occurredAt: new Date(now.getTime() - lateMinutes * 60_000),
                };
}

const all = [...everyInput()].map((input) => ({ input, out: classify(input) }));

describe('triage safety floors', () => {
  it('calls a smoke alarm a dispatch at priority 1, always', () => {
    for (const { out } of all.filter((x) => x.input.type === 'smoke'))
      expect(out).toMatchObject({ class: 'dispatch', priority: 1 });
  });

  it('dispatches a fall or seizure without voice contact', () => {
    const cases = all.filter(
      (x) => (x.input.type === 'fall' || x.input.type === 'epilepsy') && x.input.voice !== 'connected',
    );
    expect(cases.length).toBeGreaterThan(0);
    for (const { out } of cases) expect(out.class).toBe('dispatch');
  });

  it('dispatches a pendant press that nobody answers, even when cancelled', () => {
    for (const { out } of all.filter((x) => x.input.type === 'pendant' && x.input.voice === 'no_answer'))
      expect(out.class).toBe('dispatch');
  });

  it('never calls an alarm from an unknown device false', () => {
    for (const { out } of all.filter((x) => x.input.unknownDevice)) expect(out.class).not.toBe('false_alarm');
  });

  it('never calls a fall, smoke or seizure alarm false', () => {
    for (const { out } of all.filter((x) => ['fall', 'smoke', 'epilepsy'].includes(x.input.type)))
      expect(out.class).not.toBe('false_alarm');
  });

  it('calls technical and test events from known devices false alarms at low priority, a silent unit a call', () => {
    const cases = all.filter(
      (x) => (TECHNICAL_TYPES.has(x.input.type) || x.input.type === 'test') && !x.input.unknownDevice,
    );
    for (const { input, out } of cases) {
      // A missing heartbeat leaves the citizen unprotected: at least a call (a floor).
      expect(out.class).toBe(input.type === 'heartbeat_missed' ? 'phone_resolvable' : 'false_alarm');
      expect(out.priority).toBeGreaterThanOrEqual(4);
    }
  });

  it('always gives a priority 1–5, a confidence 0–1 and at least one reason', () => {
    for (const { out } of all) {
      expect([1, 2, 3, 4, 5]).toContain(out.priority);
      expect(out.confidence).toBeGreaterThanOrEqual(0);
      expect(out.confidence).toBeLessThanOrEqual(1);
      expect(out.reasons.length).toBeGreaterThan(0);
      expect(out.reasons.every((r) => r.length > 0)).toBe(true);
    }
  });

  it('raises, never lowers, urgency for repeated presses and late arrivals', () => {
    const rank = { false_alarm: 0, phone_resolvable: 1, dispatch: 2 };
    for (const { input, out } of all.filter((x) => x.input.earlierInIncident > 0 || x.input.occurredAt < now)) {
      const plain = classify({ ...input, earlierInIncident: 0, occurredAt: now });
      expect(rank[out.class]).toBeGreaterThanOrEqual(rank[plain.class]);
      expect(out.priority).toBeLessThanOrEqual(plain.priority);
    }
  });

  it('settles a cancelled pendant press with voice contact as a false alarm', () => {
    const out = classify({
      ...all[0]!.input,
      type: 'pendant',
      voice: 'connected',
      cancelled: true,
      unknownDevice: false,
      earlierInIncident: 0,
      occurredAt: now,
    });
    expect(out.class).toBe('false_alarm');
  });
});

describe('urgency lanes', () => {
  it('puts every person-in-danger event in the urgent lane and technical traffic in its own', () => {
    const urgent: EventType[] = ['pendant', 'fall', 'smoke', 'epilepsy'];
    for (const t of urgent) expect(laneFor(t)).toBe('urgent');
    for (const t of TECHNICAL_TYPES) expect(laneFor(t)).toBe('technical');
    expect(laneFor('test')).toBe('technical');
    expect(laneFor('medication')).toBe('routine');
  });
});

describe('where a visit cannot be ruled out, the rules advise dispatch', () => {
  const at = (input: Partial<TriageInput> & { type: EventType }): TriageInput => ({
    voice: null,
    unknownDevice: false,
    cancelled: false,
    earlierInIncident: 0,
    localHour: 10,
    batteryPercent: 50,
    receivedAt: now,
    occurredAt: now,
    ...input,
  });

  it('a fall with voice contact: a visit unless speaking to the citizen clears it', () => {
    expect(classify(at({ type: 'fall', voice: 'connected' }))).toMatchObject({
      class: 'dispatch',
      priority: 2,
      reasonKeys: [{ key: 'fall_voice' }],
    });
  });

  it('a press nobody cancelled, answered or not reported, from the base mix’s risk (no decisions known)', () => {
    for (const voice of ['connected', null] as const) {
      const out = classify(at({ type: 'pendant', voice }));
      expect(out.class).toBe('dispatch');
      expect(out.reasonKeys.at(-1)).toEqual({ key: 'visit_risk', params: { percent: 20 } });
    }
    // Cancelled in time: the cancel settles it.
    expect(classify(at({ type: 'pendant', voice: 'connected', cancelled: true })).class).toBe('false_alarm');
  });

  it('a dementia sensor whose citizen does not answer, by day or night', () => {
    for (const type of ['bed_exit', 'door_open', 'wandering'] as const)
      for (const localHour of [3, 14]) {
        const out = classify(at({ type, voice: 'no_answer', localHour }));
        expect(out).toMatchObject({ class: 'dispatch', reasonKeys: [{ key: 'sensor_no_answer' }] });
        // Answered by day, the rules alone leave it to a call (the municipality's record may not).
        if (type !== 'wandering' || localHour === 14)
          expect(classify(at({ type, voice: 'connected', localHour })).class).toBe('phone_resolvable');
      }
  });

  it('a planned call nobody answers, and the retry of a planned call or night check', () => {
    expect(classify(at({ type: 'planned_call', voice: 'no_answer' }))).toMatchObject({
      class: 'dispatch',
      reasonKeys: [{ key: 'planned_call_no_answer' }],
    });
    expect(classify(at({ type: 'planned_call', voice: 'connected' })).class).toBe('phone_resolvable');
    for (const type of ['planned_call', 'night_check'] as const) {
      expect(classify(at({ type, attempt: 1 })).class).toBe('phone_resolvable');
      expect(classify(at({ type, attempt: 2 }))).toMatchObject({
        class: 'dispatch',
        reasonKeys: [{ key: 'planned_retry', params: { attempt: 2 } }],
      });
    }
  });

  it('reads the attempt from an event’s details, and nothing else as one', () => {
    expect(attemptOf({ attempt: 2 })).toBe(2);
    for (const d of [null, undefined, {}, { attempt: '2' }, { attempt: 0 }, { attempt: 1.5 }, [2], 'attempt'])
      expect(attemptOf(d)).toBeNull();
  });
});
