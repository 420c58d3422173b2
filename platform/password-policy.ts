// The password policy for console users: at least 12 characters, not one of the ~49,000 most common
// passwords (the list @zxcvbn-ts/language-common ships, from leaked-password corpora). Length is what
// resists guessing; the list refuses the long passwords attackers try first.
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;

let common: ReadonlySet<string> | undefined;
/** Loaded on first use: only the processes that set passwords (console, registry import) need it. */
const commonPasswords = () => (common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())));

/** Why `password` is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (commonPasswords().has(password.toLowerCase())) return 'is one of the most common passwords; choose another';
  return undefined;
}
