/**
 * Failed sign-ins, limited per email and per IP over a sliding window. The state is in
 * Postgres so the limit holds across app instances.
 */
import type { TDb } from "../db";
import { DomainError } from "../domain-error";

export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** Per email: a person guessing their own password gets ten tries. */
export const MAX_FAILURES_PER_EMAIL = 10;
/** Per IP: higher, since many people can share one address (offices, carrier NAT). */
export const MAX_FAILURES_PER_IP = 100;

export interface TSignInKeys {
  email: string;
  ip: string;
}

function keysOf({ email, ip }: TSignInKeys) {
  return [
    { key: `email:${email}`, max: MAX_FAILURES_PER_EMAIL },
    { key: `ip:${ip}`, max: MAX_FAILURES_PER_IP },
  ];
}

/** Throws RATE_LIMITED when either key has used up its failures in the window. */
export async function assertSignInAllowed(db: TDb, who: TSignInKeys, now = new Date()): Promise<void> {
  const since = new Date(now.getTime() - SIGN_IN_WINDOW_MS);
  for (const { key, max } of keysOf(who)) {
    const failures = await db.rateLimitHit.findMany({
      where: { key, createdAt: { gt: since } },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true },
      take: max,
    });
    if (failures.length >= max) {
      // The window frees up when the oldest of the last `max` failures leaves it.
      const oldest = failures[failures.length - 1]!.createdAt;
      const waitMs = oldest.getTime() + SIGN_IN_WINDOW_MS - now.getTime();
      const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
      throw new DomainError(
        "RATE_LIMITED",
        `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      );
    }
  }
}

export async function recordSignInFailure(db: TDb, who: TSignInKeys, now = new Date()): Promise<void> {
  const keys = keysOf(who).map(({ key }) => key);
  await db.$transaction([
    db.rateLimitHit.deleteMany({
      where: { key: { in: keys }, createdAt: { lte: new Date(now.getTime() - SIGN_IN_WINDOW_MS) } },
    }),
    db.rateLimitHit.createMany({ data: keys.map((key) => ({ key, createdAt: now })) }),
  ]);
}

/** A successful sign-in forgives the email's failures (not the IP's). */
export async function clearSignInFailures(db: TDb, who: TSignInKeys): Promise<void> {
  await db.rateLimitHit.deleteMany({ where: { key: `email:${who.email}` } });
}
