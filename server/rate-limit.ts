/**
 * Rate limits of every kind (failed sign-ins, sign-ups, avatar uploads), counted per key over a
 * sliding window in Postgres, so a limit holds across app instances.
 *
 * `takeHits` is the one way in: it checks and counts in one statement that holds an advisory lock
 * per key, so parallel callers on any instance cannot all pass the check before any of them
 * counts (a check and a separate count let 40 parallel sign-ins through a limit of 10).
 */
import type { TDb, TTx } from "./db";
import { DomainError } from "./domain-error";

export interface TLimit {
  key: string;
  max: number;
  windowMs: number;
}

/** A hit that was counted; `forgive` takes it back (a sign-in that turned out right). */
export interface THit {
  key: string;
  id: bigint;
}

/** Why a limit refused: which key, and when its window frees a place. */
export class RateLimitedError extends DomainError {
  readonly key: string;
  readonly retryAfterMs: number;

  constructor(key: string, retryAfterMs: number, message: string) {
    super("RATE_LIMITED", message);
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

export function minutesText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * Counts one hit on every limit, or none: when any limit has used up its window, throws
 * RateLimitedError (message from `message(retryAfterMs)`) and records nothing. One round trip
 * (the `rate_limit_take` function): a burst of attempts holds each pooled connection for
 * a moment, not for a transaction's worth of round trips.
 */
export async function takeHits(
  db: TDb,
  limits: TLimit[],
  message: (retryAfterMs: number) => string,
  now = new Date(),
): Promise<THit[]> {
  if (limits.length === 0) return [];
  // Each key once: two copies would both be checked before either is counted.
  if (new Set(limits.map((limit) => limit.key)).size !== limits.length) {
    throw new Error(`takeHits: a key appears twice in ${limits.map((limit) => limit.key).join(", ")}`);
  }
  const rows = await db.$queryRaw<{ out_key: string; out_id: bigint | null; retry_after_ms: bigint | null }[]>`
    SELECT out_key, out_id, retry_after_ms FROM rate_limit_take(
      ${limits.map((limit) => limit.key)}::text[],
      ${limits.map((limit) => limit.max)}::int[],
      ${limits.map((limit) => limit.windowMs)}::bigint[],
      ${now}::timestamptz
    )`;
  const refused = rows.find((row) => row.out_id === null);
  if (refused) {
    const retryAfterMs = Number(refused.retry_after_ms ?? 0);
    throw new RateLimitedError(refused.out_key, retryAfterMs, message(retryAfterMs));
  }
  return rows.map((row) => ({ key: row.out_key, id: row.out_id! }));
}

/** Takes back counted hits (for example the account's hit of a sign-in that succeeded). */
export async function forgiveHits(db: TDb | TTx, hits: THit[]): Promise<void> {
  if (hits.length === 0) return;
  await db.rateLimitHit.deleteMany({ where: { id: { in: hits.map((hit) => hit.id) } } });
}

/** Forgets every hit of these keys (a successful sign-in forgives an account's failures). */
export async function clearHits(db: TDb | TTx, keys: string[]): Promise<void> {
  await db.rateLimitHit.deleteMany({ where: { key: { in: keys } } });
}
