/**
 * Which address a request really came from, given how many reverse proxies stand in front of
 * the portal. Each proxy appends the address it saw to `X-Forwarded-For`; anything to the left
 * of what the outermost trusted proxy wrote came from the client and may be forged.
 */

/** The most proxies in front of the portal that TRUSTED_PROXY_HOPS may name. */
export const MAX_TRUSTED_PROXY_HOPS = 10;

/** "::ffff:203.0.113.7" (an IPv4 client on a dual-stack socket) is 203.0.113.7. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * The client's address: with `hops` = 0 the connection's own (`socketAddress`); with n > 0 the
 * address the n-th proxy from the portal saw, i.e. the n-th entry from the right of the chain
 * `forwardedFor, socketAddress`. A chain shorter than that yields its leftmost entry (a request
 * that came past fewer proxies than configured). Undefined when the socket has no address.
 */
export function trustedClientAddress(options: {
  socketAddress: string | undefined;
  forwardedFor: string | string[] | undefined;
  hops: number;
}): string | undefined {
  if (!options.socketAddress) return undefined;
  if (options.hops === 0) return normalise(options.socketAddress);
  const forwarded = [options.forwardedFor ?? []]
    .flat()
    .flatMap((value) => value.split(","))
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded, options.socketAddress];
  return normalise(chain[Math.max(0, chain.length - 1 - options.hops)]!);
}
