// Who works in a response centre (contract: "Operators, planners, analysts → console"). What each role
// may do is decided in one place, services/console/access.ts. Pure: no I/O.

export const ROLES = ['operator', 'supervisor', 'planner', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];
