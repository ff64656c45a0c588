/**
 * OneProfile's webhook endpoint as far as tests and the bench need it: the same domain function
 * the route calls (`receiveWebhook`), behind a bare HTTP server on loopback, so they can receive
 * the sandbox's webhooks without running the portal.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createConnectorResolver, type TConnectorResolver } from "../../server/connectors/registry";
import type { TDb } from "../../server/db";
import { receiveWebhook } from "../../server/monitor/receive-webhook";

export interface TWebhookReceiver {
  /** The base URL to give the sandbox (SANDBOX_WEBHOOK_URL). */
  url: string;
  close(): Promise<void>;
}

/**
 * Connectors whose webhook feeds check `secret`. Only the feeds are used: verifying a webhook needs
 * the shared secret, not the vendor's address.
 */
export function webhookConnectors(secret: string): TConnectorResolver {
  return createConnectorResolver({ sandbox: { url: "http://127.0.0.1:1", webhookSecret: secret } });
}

/** A Node request's headers as the Fetch API's (what a route handler is given). */
export function fetchHeaders(headers: http.IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return result;
}

export async function startWebhookReceiver(db: TDb | (() => TDb), secret: string): Promise<TWebhookReceiver> {
  const dbNow = typeof db === "function" ? db : () => db;
  const connectors = webhookConnectors(secret);
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      receiveWebhook(dbNow(), connectors, {
        networkId: (req.url ?? "").split("/").pop() ?? "",
        headers: fetchHeaders(req.headers),
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
