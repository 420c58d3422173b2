// The board's rows (web/src/incidents.ts): one row per incident, most urgent first, acting through its
// most urgent open alarm; overdue past the municipality's answer target; the filters.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTechnicalOrTest, EVENT_TYPES } from '../../domain/events.js';
import type { AlarmView } from '../../domain/views.js';
import {
  asksForSomeone,
  incidentsOf,
  isOverdue,
  NO_ANSWER_TARGET,
  passes,
  type Incident,
} from '../../web/src/incidents.js';

const T0 = Date.parse('2026-11-22T21:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function alarm(o: Partial<AlarmView> & { incidentId: string; s?: number; priority?: number | null }): AlarmView {
  const { s = 0, priority = 3, ...rest } = o;
  return {
    id: randomUUID(),
    municipality: 'aabenraa',
    deviceId: 'dev-1',
    citizenId: 'c-1',
    unknownDevice: false,
    type: 'pendant',
    occurredAt: at(s),
    receivedAt: at(s),
    status: priority === null ? 'received' : 'triaged',
    triage:
      priority === null
        ? null
        : { class: 'phone_resolvable', priority, confidence: 0.9, reasons: ['r'], triagedAt: at(s) },
    escalated: false,
    claimedBy: null,
    claimedAt: null,
    outcome: null,
    resolvedAt: null,
    ...rest,
  };
}

describe('incident rows', () => {
  it('makes one row of an incident’s repeated presses and its cancel, with the count and the latest event', () => {
    const inc = randomUUID();
    const rows = incidentsOf([
      alarm({ incidentId: inc, s: 0, priority: 2 }),
      alarm({ incidentId: inc, s: 30, priority: 2 }),
      alarm({ incidentId: inc, s: 60, type: 'cancel', priority: 5 }),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.alarms).toHaveLength(3);
    expect(rows[0]!.newest.type).toBe('cancel');
    expect(rows[0]!.lead.type).toBe('pendant');
    expect(rows[0]!.receivedAt).toBe(at(0));
  });

  it('orders untriaged first, then by the best priority, then the longest waiting', () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const rows = incidentsOf([
      alarm({ incidentId: a, s: 0, priority: 3 }),
      alarm({ incidentId: b, s: 10, priority: 1 }),
      alarm({ incidentId: c, s: 20, priority: null }),
      alarm({ incidentId: d, s: 5, priority: 1 }),
    ]);
    expect(rows.map((r) => r.id)).toEqual([c, d, b, a]);
  });

  it('moves an incident up when a repeat raises its priority', () => {
    const [quiet, repeated] = [randomUUID(), randomUUID()];
    const before = [
      alarm({ incidentId: quiet, s: 0, priority: 2 }),
      alarm({ incidentId: repeated, s: 1, priority: 3 }),
    ];
    expect(incidentsOf(before).map((r) => r.id)).toEqual([quiet, repeated]);
    const after = [...before, alarm({ incidentId: repeated, s: 100, priority: 1 })];
    const rows = incidentsOf(after);
    expect(rows.map((r) => r.id)).toEqual([repeated, quiet]);
    expect(rows[0]!.priority).toBe(1);
  });

  it('claims through the most urgent alarm nobody holds, and is taken only when every alarm is held', () => {
    const inc = randomUUID();
    const held = alarm({ incidentId: inc, s: 0, priority: 1, claimedBy: 'op-a', status: 'claimed' });
    const repeat = alarm({ incidentId: inc, s: 50, priority: 2 });
    const [row] = incidentsOf([held, repeat]);
    expect(row!.lead.id).toBe(held.id);
    expect(row!.unclaimed!.id).toBe(repeat.id);
    expect(row!.holders).toEqual(['op-a']);
    expect(row!.unansweredSince).toBe(at(50));
    const [taken] = incidentsOf([held]);
    expect(taken!.unclaimed).toBeNull();
    expect(taken!.unansweredSince).toBeNull();
  });

  it('puts an incident with a new, untriaged event first, but lets its triaged press lead the row', () => {
    const [quiet, repeated] = [randomUUID(), randomUUID()];
    const press = alarm({ incidentId: repeated, s: 10, priority: 3 });
    const cancel = alarm({ incidentId: repeated, s: 40, type: 'cancel', priority: null });
    const rows = incidentsOf([alarm({ incidentId: quiet, s: 0, priority: 1 }), press, cancel]);
    expect(rows.map((r) => r.id)).toEqual([repeated, quiet]);
    expect(rows[0]!.lead.id).toBe(press.id);
    expect(rows[0]!.unclaimed!.id).toBe(press.id);
    expect(rows[0]!.newest.id).toBe(cancel.id);
  });

  it('leaves resolved alarms out', () => {
    expect(incidentsOf([alarm({ incidentId: randomUUID(), status: 'resolved' })])).toEqual([]);
  });

  it('is overdue past the answer target while nobody answers, never for technical events', () => {
    const [row] = incidentsOf([alarm({ incidentId: randomUUID(), s: 0 })]);
    expect(isOverdue(row!, 60, T0 + 59_000)).toBe(false);
    expect(isOverdue(row!, 60, T0 + 60_000)).toBe(true);
    expect(isOverdue(row!, 120, T0 + 60_000)).toBe(false);
    const [battery] = incidentsOf([alarm({ incidentId: randomUUID(), s: 0, type: 'low_battery' })]);
    expect(isOverdue(battery!, 60, T0 + 3600_000)).toBe(false);
    const [held] = incidentsOf([alarm({ incidentId: randomUUID(), s: 0, claimedBy: 'op-a', status: 'claimed' })]);
    expect(isOverdue(held!, 60, T0 + 3600_000)).toBe(false);
  });

  it('knows the server’s escalation and its reason', () => {
    const [row] = incidentsOf([
      alarm({ incidentId: randomUUID(), escalated: true, escalation: { reason: 'unanswered', at: at(60) } }),
    ]);
    expect(row!.escalation).toEqual({ reason: 'unanswered', at: at(60) });
  });

  it('keeps an escalation only while it asks for someone: unanswered until claimed, unresolved until resolved', () => {
    const unanswered = { escalated: true, escalation: { reason: 'unanswered' as const, at: at(60) } };
    const [claimed] = incidentsOf([
      alarm({ incidentId: randomUUID(), ...unanswered, claimedBy: 'op-a', status: 'claimed' }),
    ]);
    expect(claimed!.escalation).toBeNull();
    const [unresolved] = incidentsOf([
      alarm({
        incidentId: randomUUID(),
        escalated: true,
        escalation: { reason: 'unresolved', at: at(900) },
        claimedBy: 'op-a',
        status: 'claimed',
      }),
    ]);
    expect(unresolved!.escalation).toEqual({ reason: 'unresolved', at: at(900) });
    expect(asksForSomeone({ ...unresolved!.lead, status: 'resolved' })).toBe(false);
  });

  it('filters by municipality and status', () => {
    const rows = incidentsOf([
      alarm({ incidentId: randomUUID(), municipality: 'toender' }),
      alarm({ incidentId: randomUUID(), claimedBy: 'op-a', status: 'claimed' }),
    ]);
    const [toender, taken] = [
      rows.find((r) => r.lead.municipality === 'toender')!,
      rows.find((r) => r.holders.length)!,
    ];
    const f =
      (status: 'all' | 'unclaimed' | 'taken' | 'escalated', municipalities: string[] = []) =>
      (i: Incident) =>
        passes(i, { status, municipalities }, false);
    expect(rows.filter(f('all'))).toHaveLength(2);
    expect(rows.filter(f('unclaimed'))).toEqual([toender]);
    expect(rows.filter(f('taken'))).toEqual([taken]);
    expect(rows.filter(f('all', ['aabenraa']))).toEqual([taken]);
    expect(rows.filter(f('escalated'))).toEqual([]);
    expect(passes(toender, { status: 'escalated', municipalities: [] }, true)).toBe(true);
  });

  it('gives no answer target to exactly the technical and test events of domain/events.ts', () => {
    expect(EVENT_TYPES.filter((t) => NO_ANSWER_TARGET.has(t))).toEqual(EVENT_TYPES.filter(isTechnicalOrTest));
  });
});

describe('planned calls and night checks on the board', () => {
  /** A due item raised from a schedule: due at `due` (seconds from T0), raised at `s`, a window of `window` s. */
  const dueItem = (type: 'planned_call' | 'night_check', due: number, s: number, window = 1800) =>
    alarm({
      incidentId: randomUUID(),
      type,
      s,
      priority: 3,
      occurredAt: at(due),
      answerBy: at(due + window),
      deviceId: 'care:c-1',
    });

  it('are ordered with alarms by priority, then by due time (an item raised late keeps its due time)', () => {
    const fall = alarm({ incidentId: randomUUID(), type: 'fall', s: 600, priority: 1 });
    const pendant = alarm({ incidentId: randomUUID(), s: 300, priority: 2 });
    const medication = alarm({ incidentId: randomUUID(), type: 'medication', s: 120, priority: 3 });
    // Due at T0 but raised ten minutes late (no worker ran): it has waited longest of the priority 3 rows.
    const call = dueItem('planned_call', 0, 600);
    // Due after the medication alarm was received.
    const check = dueItem('night_check', 240, 240, 900);
    const untriaged = alarm({ incidentId: randomUUID(), s: 700, priority: null });
    const rows = incidentsOf([check, medication, call, pendant, fall, untriaged]);
    expect(rows.map((r) => r.lead.id)).toEqual([untriaged.id, fall.id, pendant.id, call.id, medication.id, check.id]);
    expect(rows.find((r) => r.lead.id === call.id)!.dueAt).toBe(at(0));
  });

  it('are overdue past their window’s end, not the answer target after receipt', () => {
    const [row] = incidentsOf([dueItem('planned_call', 0, 0, 1800)]);
    expect(row!.answerBy).toBe(at(1800));
    expect(isOverdue(row!, 60, T0 + 120_000)).toBe(false);
    expect(isOverdue(row!, 60, T0 + 1_799_000)).toBe(false);
    expect(isOverdue(row!, 60, T0 + 1_800_000)).toBe(true);
    const [held] = incidentsOf([{ ...dueItem('night_check', 0, 0, 900), status: 'claimed', claimedBy: 'op' }]);
    expect(isOverdue(held!, 60, T0 + 3_600_000)).toBe(false);
  });
});
