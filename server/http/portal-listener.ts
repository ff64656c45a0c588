/**
 * What the portal's own HTTP server does to every request before Next.js sees it
 * (scripts/lib/next-server.ts): it decides the client's address and the scheme, so that nothing a
 * client forges in a header reaches the rate limits, and it adds the headers that depend on how
 * the portal is reached.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { logError } from "../log";
import { CLIENT_ADDRESS_HEADER } from "./client-address";
import { trustedClientAddress } from "./trusted-address";

/** Two years; browsers only honour it over HTTPS. Subdomains are the operator's to decide. */
export const HSTS_VALUE = "max-age=63072000";

/**
 * No request body the portal takes is larger (an avatar as base64, app/api/trpc's limit); routes
 * keep tighter limits of their own. One that declares more is answered here, before anything
 * reads it, and the connection is closed rather than drained.
 */
export const MAX_REQUEST_BODY_BYTES = 8 * 1024 * 1024;

/** Headers a proxy in front sets; without a trusted proxy they can only be the client's. */
const PROXY_HEADERS = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"] as const;

type TListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function withTrustedClient(
  handler: TListener,
  options: {
    /** TRUSTED_PROXY_HOPS: how many reverse proxies in front of the portal append to X-Forwarded-For. */
    trustedProxyHops: number;
    /** The portal's public URL is https (NEXTAUTH_URL): a proxy in front terminates TLS. */
    isPublicHttps: boolean;
  },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (Number(req.headers["content-length"]) > MAX_REQUEST_BODY_BYTES) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ message: `A request may carry at most ${MAX_REQUEST_BODY_BYTES / 1024 / 1024} MB.` }));
      return;
    }
    const address = trustedClientAddress({
      socketAddress: req.socket.remoteAddress,
      forwardedFor: req.headers[CLIENT_ADDRESS_HEADER],
      hops: options.trustedProxyHops,
    });
    // Exactly one address, the one trusted; Next.js fills the header only when it is missing.
    if (address) req.headers[CLIENT_ADDRESS_HEADER] = address;
    else delete req.headers[CLIENT_ADDRESS_HEADER];
    delete req.headers["x-real-ip"];
    if (options.trustedProxyHops === 0) for (const name of PROXY_HEADERS) delete req.headers[name];
    const isHttps =
      options.isPublicHttps ||
      (req.socket as TLSSocket).encrypted === true ||
      String(req.headers["x-forwarded-proto"] ?? "")
        .split(",")
        .at(-1)
        ?.trim() === "https";
    if (isHttps) res.setHeader("Strict-Transport-Security", HSTS_VALUE);
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      logError(`request ${req.method} ${req.url?.split("?")[0]}`, error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  };
}
