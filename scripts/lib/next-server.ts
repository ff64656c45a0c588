/**
 * The portal's HTTP server: Next.js as a custom server, so that this process, not a header a
 * client sent, decides the client's address (server/http/portal-listener.ts). Run as its own
 * process by run-next.ts: `next-server.ts <dev|start> <port> [hostname]`.
 */
import { createServer } from "node:http";
import next from "next";
import { env } from "../../server/env";
import { withTrustedClient } from "../../server/http/portal-listener";

const [mode, port, hostname] = process.argv.slice(2);
const server = createServer();
// With the server at hand, Next.js answers its upgrade requests too (the dev server's HMR socket).
const app = next({ dev: mode === "dev", dir: process.cwd(), hostname, port: Number(port), httpServer: server });
await app.prepare();
server.on(
  "request",
  withTrustedClient(app.getRequestHandler(), {
    trustedProxyHops: env.TRUSTED_PROXY_HOPS,
    isPublicHttps: env.NEXTAUTH_URL?.startsWith("https:") ?? false,
  }),
);
server.listen(Number(port), hostname, () =>
  console.log(
    `Ready: the portal (${mode === "dev" ? "development" : "production"}) on ${hostname ?? "localhost"}:${port}`,
  ),
);

const close = () => {
  server.close();
  void app.close().finally(() => process.exit(0));
};
process.once("SIGTERM", close);
process.once("SIGINT", close);
