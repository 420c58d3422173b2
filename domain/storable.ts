// What Postgres stores exactly as it was sent. Any service that writes what a client sent checks it
// first, so a value the database would refuse is answered as bad input, never as a failure to store.
// Pure: no I/O.
//
// - text and jsonb hold any Unicode text except U+0000 (NUL): text refuses the byte, jsonb the \u0000
//   escape.
// - A JavaScript string can hold what is no Unicode text at all: a lone UTF-16 surrogate. text would
//   silently store it as U+FFFD (a different value) and jsonb refuses the \ud800 escape.
// - jsonb holds any finite number; a JSON number beyond double range parses as Infinity, which would be
//   stored as null.
// - timestamptz has no year 0000 (the year before 0001 is 1 BC) and no offset beyond ±15:59.

import { z } from 'zod';

/** Why `s` cannot be stored as sent, or undefined when it can. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains U+0000 (NUL), which the database cannot store';
  // The common case needs one quick scan: no surrogate at all. In a `u` regex a lone surrogate is a
  // code point of its own; a paired one is part of another.
  if (/[\ud800-\udfff]/.test(s) && /\p{Surrogate}/u.test(s))
    return 'contains a lone UTF-16 surrogate, which is not Unicode text';
  return undefined;
}

export type JsonLimits = {
  /** Most levels of objects and arrays: the top-level object or array is level 1. */
  maxDepth: number;
  /** Most bytes of its JSON text (UTF-8). */
  maxBytes: number;
};

export type JsonProblem = { path: (string | number)[]; message: string };

type Node = { value: unknown; depth: number; parent: Node | undefined; key: string | number | undefined };

const pathOf = (node: Node | undefined): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let n = node; n && n.key !== undefined; n = n.parent) path.push(n.key);
  return path.reverse();
};

const isPlainObject = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * The first reason `value` cannot be stored as JSON exactly as sent, or undefined when it can: a value
 * nested deeper than `maxDepth`, a key or string that is not storable text, a number that is not
 * finite, anything that is not JSON, more than `maxBytes` of JSON text.
 *
 * Walks without recursion, and gives up as soon as the JSON text is known to be too long, so it is
 * safe on any value (however deep) and visits no more nodes than the limits allow, however large the
 * value (it still lists the keys of an object and scans a string it reaches). Only once the depth is
 * known to be bounded is the value serialised to measure it exactly. No closure is made per call: this
 * runs for every event.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): JsonProblem | undefined {
  // A lower bound of the JSON text's length in bytes: every character is at least one byte.
  let bytes = 0;
  const stack: Node[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0 && bytes <= limits.maxBytes) {
    const node = stack.pop()!;
    const v = node.value;
    if (v === null) bytes += 4;
    else if (typeof v === 'boolean') bytes += 4;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return problemAt(node, 'is a number beyond ±1.8e308, which cannot be stored');
      bytes += 1;
    } else if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) return problemAt(node, p);
      bytes += v.length + 2;
    } else if (typeof v === 'object' && (Array.isArray(v) || isPlainObject(v))) {
      const depth = node.depth + 1;
      if (depth > limits.maxDepth) return problemAt(node, `is nested deeper than ${limits.maxDepth} levels`);
      if (Array.isArray(v)) {
        bytes += 1 + v.length;
        for (let i = v.length - 1; i >= 0 && bytes <= limits.maxBytes; i--)
          stack.push({ value: v[i], depth, parent: node, key: i });
      } else {
        const keys = Object.keys(v);
        bytes += 1 + keys.length;
        for (let i = keys.length - 1; i >= 0 && bytes <= limits.maxBytes; i--) {
          const key = keys[i]!;
          const child: Node = { value: (v as Record<string, unknown>)[key], depth, parent: node, key };
          const p = textProblem(key);
          if (p) return problemAt(child, `key ${p}`);
          bytes += key.length + 3;
          stack.push(child);
        }
      }
    } else {
      return problemAt(node, 'is not a JSON value');
    }
  }
  if (bytes > limits.maxBytes || Buffer.byteLength(JSON.stringify(value)) > limits.maxBytes)
    return { path: [], message: `must be at most ${limits.maxBytes} bytes of JSON` };
  return undefined;
}

const problemAt = (node: Node, message: string): JsonProblem => ({ path: pathOf(node), message });

/** Postgres' limit on a time zone offset: ±15:59. */
const MAX_OFFSET_MINUTES = 15 * 60 + 59;
/**
 * The last instant that reads back as a four-digit year in UTC. Postgres rounds to microseconds and
 * Date.parse truncates to milliseconds, so the last millisecond of 9999 is left out.
 */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 998);

/**
 * The instant of an RFC 3339 date-time in milliseconds, its fraction truncated to milliseconds.
 * Date.parse alone misreads fractions longer than three digits (".0021824776" as 21 ms, not 2 ms).
 */
export const epochMillis = (rfc3339: string): number =>
  Date.parse(rfc3339.replace(/\.(\d+)/, (_, digits: string) => `.${digits.slice(0, 3).padEnd(3, '0')}`));

/**
 * Why an RFC 3339 date-time with an offset (already checked for form and calendar) cannot be stored as
 * a timestamptz that reads back as an RFC 3339 time in UTC, or undefined when it can: Postgres has no
 * year 0000 and no offset beyond ±15:59; and an instant after the year 9999 in UTC would read back
 * with a five-digit year.
 */
export function timestampProblem(rfc3339: string): string | undefined {
  const m = /^(\d{4})-.*?(?:Z|([+-])(\d\d):(\d\d))$/i.exec(rfc3339);
  if (!m) return 'is not an RFC 3339 date-time with an offset';
  if (Number(m[1]) < 1) return 'is in the year 0000, which the database does not have (the year before 0001 is 1 BC)';
  if (m[2] && Number(m[3]) * 60 + Number(m[4]) > MAX_OFFSET_MINUTES)
    return 'has an offset beyond ±15:59, which the database refuses';
  const t = epochMillis(rfc3339);
  if (!(t <= LAST_INSTANT)) return 'is later than 9999-12-31T23:59:59.998Z in UTC';
  return undefined;
}

/** A zod refinement from one of the checks above: its problem, if any, is the issue. */
export const refusing = (problemOf: (s: string) => string | undefined) => (s: string, ctx: z.RefinementCtx) => {
  const problem = problemOf(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

/**
 * Text the database stores exactly as sent, of min–max UTF-16 code units: the string schema of every
 * field a client sends that reaches a query (stored or compared), so such a value is a 400, never a 500.
 */
export const storableText = (min: number, max: number) =>
  z.string().min(min).max(max).superRefine(refusing(textProblem));
