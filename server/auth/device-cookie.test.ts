import { describe, expect, it } from "vitest";
import { cookieFrom, deviceCookieName, newDeviceCookie, trustedDevice } from "./device-cookie";

const SECRET = "a test secret that is at least 32 characters";
const EMAIL = "ada@example.com";

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
  it("are trusted for the email they were made for, with a nonce of their own", () => {
    const first = newDeviceCookie(SECRET, EMAIL);
    const second = newDeviceCookie(SECRET, EMAIL);
    expect(first).not.toContain(EMAIL);
    expect(trustedDevice(SECRET, EMAIL, first)).toBe(first.split(".")[0]);
    expect(trustedDevice(SECRET, EMAIL, second)).not.toBe(trustedDevice(SECRET, EMAIL, first));
  });

  it.each([
    ["another email", () => newDeviceCookie(SECRET, "eve@example.com")],
    ["another key", () => newDeviceCookie("another secret, also at least 32 characters", EMAIL)],
    ["a changed nonce", () => flip(newDeviceCookie(SECRET, EMAIL), 0)],
    ["a changed MAC", () => flip(newDeviceCookie(SECRET, EMAIL), 30)],
    ["a non-canonical MAC", () => flip(newDeviceCookie(SECRET, EMAIL), -1)],
    ["a truncated MAC", () => newDeviceCookie(SECRET, EMAIL).slice(0, -4)],
    ["no cookie", () => undefined],
    ["garbage", () => "x.y"],
  ])("are not trusted with %s", (_, value) => {
    expect(trustedDevice(SECRET, EMAIL, value())).toBeNull();
  });

  it("the non-canonical MAC really decodes to the same bytes (so the test above is about encoding)", () => {
    const mac = newDeviceCookie(SECRET, EMAIL).split(".")[1]!;
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
