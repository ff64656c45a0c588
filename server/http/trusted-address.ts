/**
 * Which address a request really came from, given how many reverse proxies stand in front of
 * the portal. Each proxy appends the address it saw to `X-Forwarded-For`; anything to the left
 * of what the outermost trusted proxy wrote came from the client and may be forged.
 */
import { isIP } from "node:net";

/** The most proxies in front of the portal that TRUSTED_PROXY_HOPS may name. */
export const MAX_TRUSTED_PROXY_HOPS = 10;

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail turned into two). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * One canonical form per address, or undefined when `entry` is not one: brackets and a port a
 * proxy may add are dropped ("[2001:db8::1]:443", "203.0.113.7:51234"), an IPv4 address mapped
 * into IPv6 is the IPv4 address, and IPv6 is written one way (lower case, zeros compressed).
 */
export function canonicalAddress(entry: string): string | undefined {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return undefined;
  const groups = ipv6Groups(text.toLowerCase().replace(/%.*$/, ""));
  const isMappedV4 = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMappedV4) return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join(".");
  // The URL parser writes IPv6 in its canonical form (RFC 5952).
  return new URL(`http://[${groups.map((group) => group.toString(16)).join(":")}]`).hostname.slice(1, -1);
}

/**
 * The client's address: with `hops` = 0 the connection's own (`socketAddress`); with n > 0 the
 * address the n-th proxy from the portal saw, i.e. the n-th entry from the right of the chain
 * `forwardedFor, socketAddress`. A chain shorter than that yields its leftmost entry (a request
 * that came past fewer proxies than configured); an entry that is not an address (a proxy wrote
 * "unknown") yields the next one to its right, written by a trusted proxy. Undefined when the
 * socket has no address.
 */
export function trustedClientAddress(options: {
  socketAddress: string | undefined;
  forwardedFor: string | string[] | undefined;
  hops: number;
}): string | undefined {
  if (!options.socketAddress) return undefined;
  const socket = canonicalAddress(options.socketAddress) ?? options.socketAddress;
  if (options.hops === 0) return socket;
  const forwarded = [options.forwardedFor ?? []]
    .flat()
    .flatMap((value) => value.split(","))
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded.map(canonicalAddress), socket];
  for (let index = Math.max(0, chain.length - 1 - options.hops); index < chain.length; index++) {
    const address = chain[index];
    if (address) return address;
  }
  return socket;
}

/**
 * The key rate limits count an address under: an IPv4 address itself, an IPv6 address by its /64
 * (one customer's network gets a /64 — 2^64 addresses — so single addresses would give each
 * attempt a fresh budget).
 */
export function rateLimitAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${ipv6Groups(address)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}
