import { describe, expect, it } from "vitest";
import { cookieFrom, deviceCookieName, newDeviceCookie, trustedDevice } from "./device-cookie";

const SECRET = "a test secret that is at least 32 characters";
const EMAIL = "ada@example.com";
const ACCOUNT = { id: "0b6a3c1e-4a7f-4d2b-9a57-2f1c3b4d5e6f", email: EMAIL, sessionVersion: 3 };

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The value with the character at `at` replaced by the next one of the alphabet. For the last
 * character of the MAC this decodes to the same bytes (its two lowest bits are unused).
 */
function flip(value: string, at: number): string {
  const index = at < 0 ? value.length + at : at;
  const next = BASE64URL[BASE64URL.indexOf(value[index]!) + 1] ?? "A";
  return `${value.slice(0, index)}${next}${value.slice(index + 1)}`;
}

describe("device cookies", () => {
  it("are trusted for the account they were made for, with a nonce of their own", () => {
    const first = newDeviceCookie(SECRET, ACCOUNT);
    const second = newDeviceCookie(SECRET, ACCOUNT);
    expect(first).not.toContain(EMAIL);
    expect(first).not.toContain(ACCOUNT.id);
    expect(trustedDevice(SECRET, ACCOUNT, first)).toBe(first.split(".")[0]);
    expect(trustedDevice(SECRET, ACCOUNT, second)).not.toBe(trustedDevice(SECRET, ACCOUNT, first));
  });

  it.each([
    ["another email", () => newDeviceCookie(SECRET, { ...ACCOUNT, email: "eve@example.com" })],
    // The email's account deleted and created again.
    ["another user id", () => newDeviceCookie(SECRET, { ...ACCOUNT, id: "5d0f7c2a-9b1e-4c3d-8e6f-7a8b9c0d1e2f" })],
    // Made before a password change, "sign out everywhere" or a change of role.
    ["an older session version", () => newDeviceCookie(SECRET, { ...ACCOUNT, sessionVersion: 2 })],
    ["another key", () => newDeviceCookie("another secret, also at least 32 characters", ACCOUNT)],
    ["a changed nonce", () => flip(newDeviceCookie(SECRET, ACCOUNT), 0)],
    ["a changed MAC", () => flip(newDeviceCookie(SECRET, ACCOUNT), 30)],
    ["a non-canonical MAC", () => flip(newDeviceCookie(SECRET, ACCOUNT), -1)],
    ["a truncated MAC", () => newDeviceCookie(SECRET, ACCOUNT).slice(0, -4)],
    ["no cookie", () => undefined],
    ["garbage", () => "x.y"],
  ])("are not trusted with %s", (_, value) => {
    expect(trustedDevice(SECRET, ACCOUNT, value())).toBeNull();
  });

  it("are not trusted for an email with no account", () => {
    expect(trustedDevice(SECRET, null, newDeviceCookie(SECRET, ACCOUNT))).toBeNull();
  });

  it("the non-canonical MAC really decodes to the same bytes (so the test above is about encoding)", () => {
    const mac = newDeviceCookie(SECRET, ACCOUNT).split(".")[1]!;
    expect(Buffer.from(flip(mac, -1), "base64url")).toEqual(Buffer.from(mac, "base64url"));
  });

  it("are read from a Cookie header among others, by exact name", () => {
    const header = "a=1; oneprofile-device-x=2; oneprofile-device=abc.def; b=3";
    expect(cookieFrom(header, "oneprofile-device")).toBe("abc.def");
    expect(cookieFrom(undefined, "oneprofile-device")).toBeUndefined();
    expect(deviceCookieName(true)).toBe("__Host-oneprofile-device");
    expect(deviceCookieName(false)).toBe("oneprofile-device");
  });
});
