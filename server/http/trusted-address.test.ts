import { describe, expect, it } from "vitest";
import { trustedClientAddress } from "./trusted-address";

describe("trustedClientAddress", () => {
  // [hops, X-Forwarded-For as received, socket address, the client's address]
  const cases: [number, string | string[] | undefined, string | undefined, string | undefined][] = [
    // Reached directly: whatever the client wrote is ignored.
    [0, undefined, "203.0.113.7", "203.0.113.7"],
    [0, "198.51.100.1", "203.0.113.7", "203.0.113.7"],
    [0, "198.51.100.1, 198.51.100.2", "203.0.113.7", "203.0.113.7"],
    [0, undefined, "::ffff:203.0.113.7", "203.0.113.7"],
    [0, undefined, "2001:db8::1", "2001:db8::1"],
    // One proxy (socket = the proxy) appended what it saw; anything left of that is forged.
    [1, "198.51.100.9", "10.0.0.2", "198.51.100.9"],
    [1, "1.2.3.4, 198.51.100.9", "10.0.0.2", "198.51.100.9"],
    [1, ["1.2.3.4", "198.51.100.9"], "10.0.0.2", "198.51.100.9"],
    [1, " 1.2.3.4 ,, 198.51.100.9 ", "10.0.0.2", "198.51.100.9"],
    // Two proxies: CDN then load balancer.
    [2, "1.2.3.4, 198.51.100.9, 10.0.0.1", "10.0.0.2", "198.51.100.9"],
    // Fewer entries than hops: the leftmost present.
    [2, undefined, "10.0.0.2", "10.0.0.2"],
    [3, "198.51.100.9", "10.0.0.2", "198.51.100.9"],
    [1, "::ffff:198.51.100.9", "10.0.0.2", "198.51.100.9"],
    // A closed socket has no address.
    [0, "198.51.100.1", undefined, undefined],
    [1, "198.51.100.1", undefined, undefined],
  ];
  it.each(cases)("hops %s, X-Forwarded-For %j, socket %s → %s", (hops, forwardedFor, socketAddress, expected) => {
    expect(trustedClientAddress({ hops, forwardedFor, socketAddress })).toBe(expected);
  });
});
