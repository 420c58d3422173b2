// The demo registry: in the contract's shape, seven municipalities, 20–40 fictional citizens each with one
// unit, a gateway per municipality plus a regional one, and a login for every role.
import { describe, expect, it } from 'vitest';
import { registrySchema } from '../../services/admin/registry.js';
import {
  DEMO_LOGINS,
  demoGatewayKey,
  demoRegistry,
  REGIONAL_GATEWAY,
  registryBody,
} from '../../services/simulator/registry.js';

const reg = demoRegistry();

describe('demo registry', () => {
  it('is a registry the import accepts, and the same for the same seed', () => {
    const parsed = registrySchema.safeParse(registryBody(reg));
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(registryBody(demoRegistry())).toEqual(registryBody(reg));
  });

  it('has 20–40 citizens per municipality, each with one unit on a gateway serving its municipality', () => {
    expect(reg.municipalities).toHaveLength(7);
    for (const m of reg.municipalities!) {
      const n = reg.citizens!.filter((c) => c.municipality === m.id).length;
      expect(n, m.id).toBeGreaterThanOrEqual(20);
      expect(n, m.id).toBeLessThanOrEqual(40);
    }
    const citizens = new Map(reg.citizens!.map((c) => [c.id, c]));
    const gateways = new Map(reg.gateways!.map((g) => [g.id, g]));
    expect(reg.devices).toHaveLength(reg.citizens!.length);
    expect(new Set(reg.devices!.map((d) => d.citizenId)).size).toBe(reg.citizens!.length);
    for (const d of reg.devices!) {
      expect(d.id).toMatch(/^DK-[A-Z]{3}-\d{5}$/);
      const c = citizens.get(d.citizenId!)!;
      expect(gateways.get(d.gatewayId!)!.municipalities).toContain(c.municipality);
      expect(c.phone).toMatch(/^\+45 0\d{7}$/); // no real Danish number starts with 0
      expect(c.keySafe).toMatch(/kode \d{4}$/);
    }
  });

  it('has a gateway per municipality and a regional one serving two, each with its demo key', () => {
    expect(reg.gateways).toHaveLength(8);
    expect(reg.gateways!.find((g) => g.id === REGIONAL_GATEWAY.id)!.municipalities).toHaveLength(2);
    expect(reg.gateways!.find((g) => g.id === 'gw-aabenraa')!.apiKey).toBe('demo-gw-aabenraa-key-2026');
    for (const g of reg.gateways!) expect(reg.gatewayKeys.get(g.id)).toBe(demoGatewayKey(g.id));
    expect(reg.devices!.some((d) => d.gatewayId === REGIONAL_GATEWAY.id)).toBe(true);
  });

  it('has the demo logins of every role with their known passwords', () => {
    expect(DEMO_LOGINS.map((l) => [l.username, l.password, l.role])).toEqual([
      ['operator', 'demo-operator-1', 'operator'],
      ['operator-aabenraa', 'demo-operator-aabenraa-1', 'operator'],
      ['supervisor', 'demo-supervisor-1', 'supervisor'],
      ['planner-aabenraa', 'demo-planner-aabenraa-1', 'planner'],
      ['planner-toender', 'demo-planner-toender-1', 'planner'],
      ['analyst-toender', 'demo-analyst-toender-1', 'analyst'],
      ['admin', 'demo-admin-1', 'admin'],
    ]);
    const users = new Map(reg.users!.map((u) => [u.username, u]));
    expect(users.get('operator')!.municipalities).toEqual(reg.municipalities!.map((m) => m.id));
    expect(users.get('operator-aabenraa')!.municipalities).toEqual(['aabenraa']);
    expect(users.get('supervisor')!.municipalities).toBe('*');
    expect(users.get('admin')!.municipalities).toBe('*');
  });
});
