import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address";
import { canonicalAddress, rateLimitAddress, trustedClientAddress } from "./trusted-address";

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
    // What proxies write: ports, brackets, other spellings of one address, and non-addresses
    // ("unknown"), which fall to the next entry to the right, written by a trusted proxy.
    [1, "203.0.113.7:51234", "10.0.0.2", "203.0.113.7"],
    [1, "[2001:DB8:0:0::1]:443", "10.0.0.2", "2001:db8::1"],
    [1, "0:0:0:0:0:ffff:1.2.3.4", "10.0.0.2", "1.2.3.4"],
    [2, "unknown, 198.51.100.9", "10.0.0.2", "198.51.100.9"],
    [1, "unknown", "10.0.0.2", "10.0.0.2"],
    [1, "not an address", "::ffff:10.0.0.2", "10.0.0.2"],
    // A closed socket has no address.
    [0, "198.51.100.1", undefined, undefined],
    [1, "198.51.100.1", undefined, undefined],
  ];
  it.each(cases)("hops %s, X-Forwarded-For %j, socket %s → %s", (hops, forwardedFor, socketAddress, expected) => {
    expect(trustedClientAddress({ hops, forwardedFor, socketAddress })).toBe(expected);
  });
});

describe("canonicalAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["203.0.113.7:8080", "203.0.113.7"],
    ["[::1]:3000", "::1"],
    ["2001:DB8:0000:0:0::1", "2001:db8::1"],
    ["::ffff:c000:0201", "192.0.2.1"],
    ["unknown", undefined],
    ["2001:db8::1:443", "2001:db8::1:443"],
    ["", undefined],
    ["999.1.1.1", undefined],
  ])("%j → %j", (entry, expected) => {
    expect(canonicalAddress(entry)).toBe(expected);
  });
});

describe("the key a rate limit counts an address under", () => {
  it("is an IPv4 address itself, and an IPv6 address's /64 (one customer's network)", () => {
    expect(rateLimitAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(rateLimitAddress("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(rateLimitAddress("2001:db8:1:3::1")).not.toBe(rateLimitAddress("2001:db8:1:2::1"));
    expect(clientAddress({ "x-forwarded-for": "2001:db8:1:2::99" })).toBe("2001:db8:1:2::/64");
    expect(clientAddress({})).toBe("unknown");
    // Written by something other than the portal's server: still one key per IPv4 client.
    expect(clientAddress({ "x-forwarded-for": "::ffff:203.0.113.7" })).toBe("203.0.113.7");
  });
});
