/**
 * The portal's own limits on guessing passwords and creating accounts, on top of the shared
 * atomic check-and-count (server/rate-limit.ts). An attempt is counted before its password is
 * checked, so parallel attempts cannot all slip through one check.
 *
 * Sign-in follows OWASP's device cookies ("Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser that signed in to the account before presents a device cookie and has
 * its own budget; every other client shares the account's "untrusted clients" budget. An
 * attacker's failures use up only the latter, so the owner's browser still signs in.
 */
import type { TDb } from "../db";
import { env } from "../env";
import { clearHits, forgiveHits, minutesText, takeHits, type THit, type TLimit } from "../rate-limit";

export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** Per account, for clients without its device cookie: a person guessing their own password gets ten tries. */
export const MAX_FAILURES_PER_EMAIL = 10;
/** Per device cookie (one browser that signed in to the account before). */
export const MAX_FAILURES_PER_DEVICE = 10;
/** Per IP: higher, since many people can share one address (offices, carrier NAT). */
export const MAX_FAILURES_PER_IP = 100;

export const SIGN_UP_WINDOW_MS = 60 * 60 * 1000;
/** Accounts created (or tried) from one address per hour (SIGN_UPS_PER_ADDRESS_PER_HOUR). */
export const maxSignUpsPerIp = () => env.SIGN_UPS_PER_ADDRESS_PER_HOUR;

export interface TSignInKeys {
  email: string;
  ip: string;
  /** The nonce of a valid device cookie for this account, if the client presented one. */
  device?: string | null;
}

/** The budget an attempt is counted against: the device's own, or the untrusted clients' of the account. */
function accountKey({ email, device }: TSignInKeys): string {
  return device ? `signin-device:${device}` : `signin-email:${email}`;
}

const ipKey = (ip: string) => `signin-ip:${ip}`;

/**
 * The limits a password check of this client is counted against. A device with a valid cookie
 * has only its own: such a cookie comes from a successful sign-in to this account, so the
 * address's budget (there for guesses spread over many accounts) need not cover it, and
 * strangers behind the same office or carrier NAT address cannot lock the owner's browser out.
 */
function passwordCheckLimits(who: TSignInKeys): TLimit[] {
  if (who.device) return [{ key: accountKey(who), max: MAX_FAILURES_PER_DEVICE, windowMs: SIGN_IN_WINDOW_MS }];
  return [
    { key: accountKey(who), max: MAX_FAILURES_PER_EMAIL, windowMs: SIGN_IN_WINDOW_MS },
    { key: ipKey(who.ip), max: MAX_FAILURES_PER_IP, windowMs: SIGN_IN_WINDOW_MS },
  ];
}

/**
 * Counts a sign-in attempt, or throws RATE_LIMITED (counting nothing) when the account's budget
 * for this client or the address's has been used up in the window.
 */
export function takeSignInAttempt(db: TDb, who: TSignInKeys, now = new Date()): Promise<THit[]> {
  return takeHits(
    db,
    passwordCheckLimits(who),
    (ms) => `Too many failed sign-ins. Try again in ${minutesText(ms)}.`,
    now,
  );
}

/**
 * Counts a check of the current password before a change of password against the same budgets
 * as a sign-in from this client: a stolen session gets no guesses beyond the sign-in's.
 */
export function takePasswordChangeAttempt(db: TDb, who: TSignInKeys, now = new Date()): Promise<THit[]> {
  return takeHits(
    db,
    passwordCheckLimits(who),
    (ms) => `Too many wrong passwords. Try again in ${minutesText(ms)}.`,
    now,
  );
}

/**
 * A password check that succeeded: the budget it used is forgiven (all its failures), and the
 * address keeps only its failures. Another budget of the account (the untrusted clients', when a
 * device signed in) stays as it is.
 */
export async function forgiveSignIn(db: TDb, who: TSignInKeys, hits: THit[]): Promise<void> {
  await clearHits(db, [accountKey(who)]);
  await forgiveHits(
    db,
    hits.filter((hit) => hit.key === ipKey(who.ip)),
  );
}

/**
 * A password change that succeeded: forgiven as a sign-in, and the untrusted clients' budget of
 * the account starts again, since its failures were guesses at the old password. The changing
 * browser's device cookie is revoked with the old password, so its sign-in with the new one uses
 * that budget: others' guesses do not lock the owner out right after the change.
 */
export async function forgivePasswordChange(db: TDb, who: TSignInKeys, hits: THit[]): Promise<void> {
  await forgiveSignIn(db, who, hits);
  await clearHits(db, [accountKey({ email: who.email, ip: who.ip })]);
}

/** Counts an attempt to create an account from this address, or throws RATE_LIMITED. */
export async function takeSignUpAttempt(db: TDb, ip: string, now = new Date()): Promise<void> {
  await takeHits(
    db,
    [{ key: `signup-ip:${ip}`, max: maxSignUpsPerIp(), windowMs: SIGN_UP_WINDOW_MS }],
    (ms) => `Too many accounts were created from your network. Try again in ${minutesText(ms)}.`,
    now,
  );
}
