import { describe, expect, it } from "vitest";
import { effectiveStatus, isAccountActive } from "./account-status";

const row = (over: Partial<Parameters<typeof effectiveStatus>[0]> = {}) => ({
  status: "ACTIVE" as const,
  pausedAt: null,
  network: { isEnabled: true },
  ...over,
});

describe("effectiveStatus", () => {
  it("is active only when the network is on, the password works and support has not paused it", () => {
    expect(effectiveStatus(row())).toBe("active");
    expect(isAccountActive(row())).toBe(true);
  });

  it("says the one that matters most: switched off, then a refused password, then a pause", () => {
    const paused = new Date();
    expect(effectiveStatus(row({ network: { isEnabled: false }, status: "NEEDS_REAUTH", pausedAt: paused }))).toBe(
      "disabled",
    );
    expect(effectiveStatus(row({ status: "NEEDS_REAUTH", pausedAt: paused }))).toBe("needs_reauth");
    expect(effectiveStatus(row({ pausedAt: paused }))).toBe("paused");
    for (const inactive of [
      row({ pausedAt: paused }),
      row({ status: "NEEDS_REAUTH" }),
      row({ network: { isEnabled: false } }),
    ])
      expect(isAccountActive(inactive)).toBe(false);
  });
});
