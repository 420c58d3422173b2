// Hashing of secrets. Passwords: argon2id (slow on purpose). Gateway API keys and session tokens:
// long random secrets, so SHA-256 suffices and keeps per-request authentication cheap.
import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';

// OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, ARGON2_OPTIONS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash that verifies nothing: compared against when a user does not exist, so timing tells nothing. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

export const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');

export const randomToken = () => randomBytes(32).toString('base64url');
