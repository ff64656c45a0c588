import { describe, expect, it } from "vitest";
import { createNonce, pageContentSecurityPolicy } from "./security-headers";

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((part) => part.trim().split(/\s+/) as [string, ...string[]])
      .map(([name, ...values]) => [name, values]),
  );
}

describe("pageContentSecurityPolicy", () => {
  it("lets only scripts with this response's nonce run, and nothing frame, embed or re-base the page", () => {
    const policy = directives(pageContentSecurityPolicy({ nonce: "abc123", isDev: false }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-abc123'", "'strict-dynamic'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'self'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
    expect(policy.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
  });

  it("allows eval only in development", () => {
    expect(directives(pageContentSecurityPolicy({ nonce: "n", isDev: true })).get("script-src")).toContain(
      "'unsafe-eval'",
    );
    expect(pageContentSecurityPolicy({ nonce: "n", isDev: false })).not.toContain("unsafe-eval");
  });
});

describe("createNonce", () => {
  it("is fresh each time and at least 128 bits", () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64").length).toBeGreaterThanOrEqual(16);
  });
});
