/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): after a
 * successful sign-in the browser gets `<nonce>.<HMAC(user id, session version, email, nonce)>`.
 * A later attempt for the same account that presents it is counted against that device's own
 * budget (server/auth/rate-limit.ts). The account is bound by the MAC but not stored in the
 * cookie; the key is derived from NEXTAUTH_SECRET, so only this portal can make one. Binding the
 * session version means a password change, "sign out everywhere" or a change of role revokes
 * every device cookie of the account too: cookies collected while someone knew the old password
 * buy no guesses against the new one.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** Lifetime of a device cookie: a browser used at least twice a year keeps its own budget. */
export const DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 60 * 60;

/** `__Host-` (Secure, whole host, path /) when served over HTTPS; browsers refuse it over HTTP. */
export function deviceCookieName(isSecure: boolean): string {
  return isSecure ? "__Host-oneprofile-device" : "oneprofile-device";
}

const keys = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", secret, "", "oneprofile device cookie v1", 32));
    keys.set(secret, key);
  }
  return key;
}

/** The account a device cookie is for, as stored (the email normalised). */
export interface TDeviceAccount {
  id: string;
  email: string;
  sessionVersion: number;
}

function macOf(secret: string, { id, email, sessionVersion }: TDeviceAccount, nonce: string): Buffer {
  return createHmac("sha256", keyOf(secret)).update(`${id}\n${sessionVersion}\n${email}\n${nonce}`).digest();
}

/** A new device cookie value for the account at its current session version. */
export function newDeviceCookie(secret: string, account: TDeviceAccount): string {
  const nonce = randomBytes(16).toString("base64url");
  return `${nonce}.${macOf(secret, account, nonce).toString("base64url")}`;
}

/**
 * The device's nonce when `value` is a device cookie this portal issued for the account at its
 * current session version; otherwise (no account, a revoked or forged cookie) null.
 */
export function trustedDevice(
  secret: string,
  account: TDeviceAccount | null,
  value: string | undefined,
): string | null {
  if (!account) return null;
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value ?? "");
  if (!match) return null;
  const [, nonce, mac] = match as unknown as [string, string, string];
  // Compared as text, so only the one canonical encoding of the MAC is accepted.
  const expected = Buffer.from(macOf(secret, account, nonce).toString("base64url"));
  return timingSafeEqual(Buffer.from(mac), expected) ? nonce : null;
}

/** The value of cookie `name` in a Cookie request header. */
export function cookieFrom(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join("; ") : (header ?? "");
  for (const part of text.split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
