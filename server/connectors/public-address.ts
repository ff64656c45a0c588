/**
 * A host a person typed (an XMPP server, a PDS) is only reached when every address it resolves to
 * is public: no loopback, private, link-local, shared or reserved range, so a link cannot make the
 * worker probe the machine's own network. A test-only setting lets loopback through (the tests'
 * servers listen there); production refuses that setting (server/env.ts).
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { ConnectorError } from "./types";

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
// (IPv4-mapped addresses, ::ffff:a.b.c.d, are judged as the IPv4 address they carry, below: a
// BlockList rule for ::ffff:0:0/96 would match every IPv4 address too.)
// IPv6 ranges that carry an IPv4 address (IPv4-compatible ::/96, NAT64 64:ff9b::/96 and /48,
// 6to4 2002::/16, Teredo 2001::/32) could smuggle a private one: refused whole, as OneProfile's
// servers have no need of them.
for (const [network, prefix] of [
  ["::", 96],
  // SIIT's IPv4-translated addresses (::ffff:0:a.b.c.d, RFC 6052/7915) and the discard prefix.
  ["::ffff:0:0:0", 96],
  ["100::", 64],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2001::", 32],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/** Whether one resolved address may be reached. */
export function isAllowedAddress(address: string, options: { isLoopbackAllowed: boolean }): boolean {
  const family = isIP(address) === 6 ? "ipv6" : "ipv4";
  if (isLoopbackAddress(address)) return options.isLoopbackAllowed;
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isAllowedAddress(mapped, options);
  return !NOT_PUBLIC.check(address, family);
}

/**
 * Resolves `host` and returns its addresses, to connect to one of them (not to the name, which could
 * resolve elsewhere the second time); refuses it (ConnectorError "permanent") unless every address is
 * allowed. A name that does not resolve is transient (DNS may come back).
 */
export async function publicAddressesOf(
  host: string,
  options: { isLoopbackAllowed: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = isIP(host)
      ? [host]
      : await (options.resolve ?? (async (name) => (await lookup(name, { all: true })).map((a) => a.address)))(host);
  } catch {
    throw new ConnectorError("transient", `The server ${host} could not be found.`);
  }
  if (addresses.length === 0) throw new ConnectorError("transient", `The server ${host} could not be found.`);
  if (!addresses.every((address) => isAllowedAddress(address, options))) {
    throw new ConnectorError(
      "permanent",
      `The server ${host} is on a private network; OneProfile does not connect there.`,
    );
  }
  return addresses;
}
