// Staffing as each viewer sees it (domain/centre.ts): colleagues shown with the part of their scope in
// the viewer's, a warning for any municipality covered by fewer than two.
import { describe, expect, it } from 'vitest';
import { staffingFor, triageBehind, type OnlineStaff } from '../../domain/centre.js';

const staff: OnlineStaff[] = [
  { username: 'sup-all', role: 'supervisor', municipalities: null },
  { username: 'op-both', role: 'operator', municipalities: ['aabenraa', 'toender'] },
  { username: 'op-toe', role: 'operator', municipalities: ['toender'] },
  { username: 'admin', role: 'admin', municipalities: null },
  { username: 'plan-aab', role: 'planner', municipalities: ['aabenraa'] },
];

describe('staffing', () => {
  it('shows a viewer of one municipality only the colleagues covering it, with that municipality only', () => {
    const s = staffingFor(['aabenraa'], ['aabenraa'], staff);
    expect(s.operatorsOnline).toEqual([
      { username: 'op-both', role: 'operator', municipalities: ['aabenraa'] },
      { username: 'sup-all', role: 'supervisor', municipalities: ['aabenraa'] },
    ]);
    expect(s.perMunicipality).toEqual(new Map([['aabenraa', 2]]));
    expect(s.warning).toBe(false);
  });

  it('shows a viewer of all municipalities every colleague’s own scope, "*" for those covering all', () => {
    const s = staffingFor(null, ['aabenraa', 'favrskov', 'toender'], staff);
    expect(s.operatorsOnline.map((o) => [o.username, o.municipalities])).toEqual([
      ['op-both', ['aabenraa', 'toender']],
      ['op-toe', ['toender']],
      ['sup-all', '*'],
    ]);
    expect(s.perMunicipality).toEqual(
      new Map([
        ['aabenraa', 2],
        ['favrskov', 1],
        ['toender', 3],
      ]),
    );
    // Favrskov has one person on duty: not enough.
    expect(s.warning).toBe(true);
  });

  it('warns when nobody is online, and counts neither administrators nor planners', () => {
    expect(staffingFor(['aabenraa'], ['aabenraa'], []).warning).toBe(true);
    const s = staffingFor(
      ['aabenraa'],
      ['aabenraa'],
      staff.filter((x) => ['admin', 'plan-aab'].includes(x.username)),
    );
    expect(s.operatorsOnline).toEqual([]);
    expect(s.warning).toBe(true);
  });
});

describe('triage behind', () => {
  it('when no worker is seen, or the oldest untriaged alarm has waited more than 10 s', () => {
    expect(triageBehind(0, null)).toBe(true);
    expect(triageBehind(1, null)).toBe(false);
    expect(triageBehind(1, 10)).toBe(false);
    expect(triageBehind(2, 11)).toBe(true);
  });
});
