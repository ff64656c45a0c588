import { describe, expect, it } from "vitest";
import { classifyResponse, parseRetryAfter } from "./http";

describe("classifyResponse", () => {
  it.each([
    [401, "auth", false],
    [403, "auth", false],
    [429, "rate_limited", true],
    [500, "transient", true],
    [503, "transient", true],
    [408, "transient", true],
    [422, "permanent", false],
    [413, "permanent", false],
  ] as const)("%i → %s", (status, kind, isRetriable) => {
    const error = classifyResponse(status, null, "vendor says no");
    expect(error.kind).toBe(kind);
    expect(error.isRetriable).toBe(isRetriable);
    expect(error.message).toBe("vendor says no");
  });

  it("carries Retry-After on 429", () => {
    expect(classifyResponse(429, "7", "").retryAfterMs).toBe(7000);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.parse("2026-11-24T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Tue, 24 Nov 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("garbage", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
