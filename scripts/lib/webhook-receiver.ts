/**
 * OneProfile's webhook endpoint as far as tests and the bench need it: the same domain function
 * the route calls (`receiveSandboxEvent`), behind a bare HTTP server on loopback, so they can
 * receive the sandbox's webhooks without running the portal.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TDb } from "../../server/db";
import { receiveSandboxEvent } from "../../server/monitor/receive-sandbox-event";

export interface TWebhookReceiver {
  /** The base URL to give the sandbox (SANDBOX_WEBHOOK_URL). */
  url: string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(db: TDb | (() => TDb), secret: string): Promise<TWebhookReceiver> {
  const dbNow = typeof db === "function" ? db : () => db;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      receiveSandboxEvent(dbNow(), {
        networkId: (req.url ?? "").split("/").pop() ?? "",
        secret,
        timestamp: String(req.headers["x-sandbox-timestamp"]),
        signature: String(req.headers["x-sandbox-signature"]),
        body,
      })
        .then((outcome) => res.writeHead(outcome.status).end())
        .catch(() => res.writeHead(503).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
