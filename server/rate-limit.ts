/**
 * Rate limits of every kind (failed sign-ins, sign-ups, avatar uploads), counted per key over a
 * sliding window in Postgres, so a limit holds across app instances.
 *
 * `takeHits` is the one way in: it checks and counts in one transaction that holds an advisory
 * lock per key, so parallel callers on any instance cannot all pass the check before any of them
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

async function lockKeys(tx: TTx, keys: string[]): Promise<void> {
  // Sorted, so two callers with overlapping keys take the locks in one order (no deadlock).
  for (const key of [...new Set(keys)].sort()) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`rate-limit:${key}`}, 0))::text`;
  }
}

/**
 * Counts one hit on every limit, or none: when any limit has used up its window, throws
 * RateLimitedError (message from `message(retryAfterMs)`) and records nothing.
 */
export async function takeHits(
  db: TDb,
  limits: TLimit[],
  message: (retryAfterMs: number) => string,
  now = new Date(),
): Promise<THit[]> {
  return db.$transaction(async (tx) => {
    await lockKeys(
      tx,
      limits.map((limit) => limit.key),
    );
    for (const { key, max, windowMs } of limits) {
      const hits = await tx.rateLimitHit.findMany({
        where: { key, createdAt: { gt: new Date(now.getTime() - windowMs) } },
        orderBy: { createdAt: "desc" },
        select: { createdAt: true },
        take: max,
      });
      if (hits.length >= max) {
        // The window frees a place when the oldest of the last `max` hits leaves it.
        const retryAfterMs = Math.max(0, hits[hits.length - 1]!.createdAt.getTime() + windowMs - now.getTime());
        throw new RateLimitedError(key, retryAfterMs, message(retryAfterMs));
      }
    }
    const taken: THit[] = [];
    for (const { key } of limits) {
      const hit = await tx.rateLimitHit.create({ data: { key, createdAt: now }, select: { id: true } });
      taken.push({ key, id: hit.id });
    }
    return taken;
  });
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

/** Hits older than `olderThanMs` count towards no window: the cleanup job removes them. */
export async function deleteExpiredHits(db: TDb, olderThanMs: number, now = new Date()): Promise<number> {
  const { count } = await db.rateLimitHit.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - olderThanMs) } },
  });
  return count;
}
