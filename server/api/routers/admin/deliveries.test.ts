/** The delivery log's input: what support can ask for, and the messages when the ask is wrong. */
import { describe, expect, it } from "vitest";
import { ZDeliveryLogInput } from "./deliveries";

const messagesOf = (input: unknown) => {
  const result = ZDeliveryLogInput.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("the delivery log's input", () => {
  it("takes every filter, and a range whose start is its end", () => {
    const at = new Date("2026-12-01T10:00:00Z");
    const parsed = ZDeliveryLogInput.parse({
      networkId: " qq ",
      state: "FAILED",
      userId: "0b8f3c1e-5d2a-4f7b-9c6d-1a2b3c4d5e6f",
      email: " Ana@Example.COM ",
      from: at,
      to: at,
    });
    expect(parsed).toEqual({
      networkId: "qq",
      state: "FAILED",
      userId: "0b8f3c1e-5d2a-4f7b-9c6d-1a2b3c4d5e6f",
      email: "ana@example.com",
      from: at,
      to: at,
      limit: 25,
    });
  });

  it("refuses a range that ends before it starts, saying so", () => {
    expect(messagesOf({ from: new Date("2026-12-02T00:00:00Z"), to: new Date("2026-12-01T00:00:00Z") })).toEqual([
      "to: The start of the time range must not be after its end.",
    ]);
  });

  it("refuses a state that is not a delivery state, a long network id and a malformed person id", () => {
    expect(messagesOf({ state: "LOST" })).toHaveLength(1);
    expect(messagesOf({ networkId: "x".repeat(33) })).toEqual(["networkId: Unknown network."]);
    expect(messagesOf({ userId: "42" })).toEqual(["userId: Unknown person."]);
    expect(messagesOf({ limit: 101 })).toHaveLength(1);
  });
});
