/**
 * The client's address, for rate limits. The portal's own HTTP server (scripts/lib/next-server.ts,
 * started by `npm run dev`, `npm start` and the browser tests) is the only thing that may set
 * it: it overwrites `x-forwarded-for` with the one address it trusts (server/http/portal-listener.ts)
 * — the connection's own, or with TRUSTED_PROXY_HOPS = n, the address the outermost of the n
 * proxies in front of it saw — so a value the client forged never gets here. This reads that
 * one value, as the key rate limits count it under (IPv6 by its /64).
 */
import { canonicalAddress, rateLimitAddress } from "./trusted-address";

type THeaders = Headers | Record<string, string | string[] | undefined> | undefined;

export const CLIENT_ADDRESS_HEADER = "x-forwarded-for";

export function clientAddress(headers: THeaders): string {
  const raw = headers instanceof Headers ? headers.get(CLIENT_ADDRESS_HEADER) : headers?.[CLIENT_ADDRESS_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.split(",")[0]?.trim();
  // Canonical again: a header set by anything but the portal's server (plain `next start`) may
  // carry "::ffff:a.b.c.d", which must not count every IPv4 client under one /64.
  return value ? rateLimitAddress(canonicalAddress(value) ?? value) : "unknown";
}
