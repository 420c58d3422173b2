// The console's two languages say the same things: every Danish key has its English one and back, with
// the same interpolations, so a switch never shows a raw key.
import { describe, expect, it } from 'vitest';
import da from '../../web/src/locales/da.json' with { type: 'json' };
import en from '../../web/src/locales/en.json' with { type: 'json' };
import { REASON_KEYS, REASON_TEXT } from '../../domain/triage-reasons.js';

type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  const danish = flatten(da as Tree);
  const english = flatten(en as Tree);

  it('have the same keys', () => {
    expect([...english.keys()].sort()).toEqual([...danish.keys()].sort());
  });

  it('use the same placeholders in each message', () => {
    for (const [key, text] of danish) expect(placeholders(english.get(key) ?? ''), key).toEqual(placeholders(text));
  });

  it('leave no message empty', () => {
    for (const [key, text] of [...danish, ...english]) expect(text.trim(), key).not.toBe('');
  });

  it('say every triage reason in the server’s words', () => {
    expect(Object.keys(da.reason).sort()).toEqual([...REASON_KEYS].sort());
    for (const key of REASON_KEYS) {
      expect(da.reason[key], key).toBe(REASON_TEXT[key].da);
      expect(en.reason[key], key).toBe(REASON_TEXT[key].en);
    }
  });
});
