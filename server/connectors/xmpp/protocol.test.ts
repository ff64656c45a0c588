import { describe, expect, it } from "vitest";
import { ConnectorError } from "../types";
import { classifyXmppError, isLoopback } from "./protocol";

/** An error shaped as @xmpp/client throws them: a name and an XMPP condition. */
function xmppError(name: string, condition: string, type?: string) {
  return Object.assign(new Error(condition), { name, condition, type });
}

describe("isLoopback", () => {
  it("allows only this machine's addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopback(host)).toBe(true);
    for (const host of ["10.0.0.1", "example.org", "localhost.example.org", "::ffff:8.8.8.8", "128.0.0.1"]) {
      expect(isLoopback(host)).toBe(false);
    }
  });
});

describe("classifyXmppError", () => {
  it.each([
    [xmppError("SASLError", "not-authorized"), "auth"],
    [xmppError("SASLError", "account-disabled"), "auth"],
    [xmppError("SASLError", "temporary-auth-failure"), "transient"],
    [xmppError("SASLError", "mechanism-too-weak"), "permanent"],
    [xmppError("StreamError", "system-shutdown"), "transient"],
    [xmppError("StreamError", "host-unknown"), "permanent"],
    [xmppError("StanzaError", "feature-not-implemented", "cancel"), "unsupported"],
    [xmppError("StanzaError", "resource-constraint", "wait"), "rate_limited"],
    [xmppError("StanzaError", "internal-server-error", "cancel"), "transient"],
    [xmppError("StanzaError", "not-acceptable", "modify"), "permanent"],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "transient"],
    [Object.assign(new Error("self-signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), "permanent"],
    [Object.assign(new Error("late"), { name: "TimeoutError" }), "transient"],
  ])("%s → %s", (error, kind) => {
    expect(classifyXmppError(error).kind).toBe(kind);
  });

  it("passes a ConnectorError through unchanged", () => {
    const error = new ConnectorError("permanent", "no TLS");
    expect(classifyXmppError(error)).toBe(error);
  });
});
