import { XRPCError } from "@atproto/api";
import { describe, expect, it } from "vitest";
import { PrivateAddressError } from "../checked-fetch";
import { toConnectorError } from "./client";
import { ZBlueskyLogin } from "./definition";

describe("ZBlueskyLogin", () => {
  it("takes a handle as people type it, or a DID", () => {
    expect(ZBlueskyLogin.parse("  @Alice.BSKY.social ")).toBe("alice.bsky.social");
    expect(ZBlueskyLogin.parse("did:plc:ewvi7nxzyoun6zhxrhs64oiz")).toBe("did:plc:ewvi7nxzyoun6zhxrhs64oiz");
  });

  it("refuses what is neither", () => {
    for (const login of ["alice", "alice@bsky.social", "did:nope", "", "a..b.social"]) {
      expect(ZBlueskyLogin.safeParse(login).success, login).toBe(false);
    }
  });
});

describe("toConnectorError", () => {
  it("classifies the PDS's answers", () => {
    expect(toConnectorError(new XRPCError(401, "AuthenticationRequired", "Invalid identifier or password")).kind).toBe(
      "auth",
    );
    expect(toConnectorError(new XRPCError(400, "ExpiredToken", "Token has expired")).kind).toBe("auth");
    const limited = toConnectorError(
      new XRPCError(429, "RateLimitExceeded", "Rate Limit Exceeded", {
        "ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 30),
      }),
    );
    expect(limited.kind).toBe("rate_limited");
    expect(limited.retryAfterMs).toBeGreaterThan(25_000);
    expect(toConnectorError(new XRPCError(502, "UpstreamFailure", "")).kind).toBe("transient");
    const invalid = toConnectorError(new XRPCError(400, "InvalidRequest", "Input/record must be an object"));
    expect(invalid.kind).toBe("permanent");
    expect(invalid.vendorCode).toBe("InvalidRequest");
  });

  it("says a private address was refused, not that the network is down", () => {
    const failure = new XRPCError(1, undefined, "fetch failed", undefined, {
      cause: new TypeError("fetch failed", { cause: new PrivateAddressError("10.0.0.1") }),
    });
    const error = toConnectorError(failure);
    expect(error.kind).toBe("permanent");
    expect(error.message).toContain("private network");
  });

  it("treats a failure to connect as transient", () => {
    const failure = new XRPCError(1, undefined, "fetch failed", undefined, {
      cause: new TypeError("fetch failed", { cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }) }),
    });
    expect(toConnectorError(failure).kind).toBe("transient");
  });
});
