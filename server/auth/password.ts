/** Password hashing: argon2id with the library's defaults (OWASP-level memory and time cost). */
import { hash, verify } from "@node-rs/argon2";

/** Algorithm.Argon2id; the enum is a `const enum`, which isolated modules cannot import. */
const ARGON2ID = 2;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a random string, verified against when the email is unknown, so that a wrong
 * email and a wrong password take the same time and cannot be told apart.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  return (dummyHash ??= hashPassword(crypto.randomUUID()));
}
