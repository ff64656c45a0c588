import { describe, expect, it } from "vitest";
import { signInNotice, signInUrl } from "./sign-in-notices";

describe("sign-in notices", () => {
  it("tells a browser whose re-sign-in after a password change failed what happened", () => {
    const url = new URL(signInUrl("password-changed", "/settings"), "http://localhost");
    expect(url.pathname).toBe("/signin");
    expect(url.searchParams.get("callbackUrl")).toBe("/settings");
    expect(signInNotice(url.searchParams.get("notice"))).toBe("Your password was changed. Sign in with the new one.");
    expect(signInNotice(["password-changed", "x"])).toBe("Your password was changed. Sign in with the new one.");
  });

  it.each([undefined, null, "", "toString", "__proto__", "Your account was deleted"])(
    "shows nothing for %j",
    (value) => {
      expect(signInNotice(value)).toBeNull();
    },
  );
});

describe("next-auth's errors", () => {
  it("have one plain message, whatever code next-auth sent", () => {
    expect(signInNotice("auth-error")).toBe("Signing in could not be completed. Please try again.");
  });
});
