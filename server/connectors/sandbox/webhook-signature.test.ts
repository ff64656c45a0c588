import { describe, expect, it } from "vitest";
import { signWebhook } from "../../../sandbox/webhooks";
import { checkSignature, signPayload } from "./webhook-signature";

const secret = "a-shared-secret-of-some-length";
const body = JSON.stringify({ id: "evt_1", signature: "héllo 👋" });
const now = 1_800_000_000;

describe("checkSignature", () => {
  it("accepts what the sandbox signs (both sides agree on the scheme)", () => {
    expect(signWebhook(secret, now, body)).toBe(signPayload(secret, now, body));
    expect(
      checkSignature({
        secret,
        timestamp: String(now),
        signature: signWebhook(secret, now, body),
        body,
        nowSeconds: now,
      }),
    ).toBe("valid");
  });

  it.each([
    ["another secret", { signature: signPayload("another-secret-entirely", now, body) }, "bad_signature"],
    ["a changed body", { body: body.replace("héllo", "hello") }, "bad_signature"],
    ["a changed timestamp", { timestamp: String(now + 1) }, "bad_signature"],
    ["a missing signature", { signature: null }, "malformed"],
    ["a non-numeric timestamp", { timestamp: "yesterday" }, "malformed"],
    ["a six-minute-old timestamp", { nowSeconds: now + 6 * 60 }, "stale"],
    ["a timestamp six minutes ahead", { nowSeconds: now - 6 * 60 }, "stale"],
  ] as const)("refuses %s", (_label, change, verdict) => {
    const input = {
      secret,
      timestamp: String(now),
      signature: signPayload(secret, now, body),
      body,
      nowSeconds: now,
      ...change,
    };
    expect(checkSignature(input)).toBe(verdict);
  });

  it("accepts a four-minute-old event", () => {
    expect(
      checkSignature({
        secret,
        timestamp: String(now),
        signature: signPayload(secret, now, body),
        body,
        nowSeconds: now + 240,
      }),
    ).toBe("valid");
  });
});
