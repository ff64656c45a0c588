/** `npm run sandbox`: the sandbox third-party server as its own process, on loopback. */
import { serve } from "@hono/node-server";
import { createSandboxApp } from "./app";
import { readSandboxConfig } from "./config";
import { SandboxStore } from "./store";
import { startWebhookSender } from "./webhooks";

const config = readSandboxConfig();
const store = new SandboxStore(config.SANDBOX_DATA_DIR);
store.passwordCost = config.SANDBOX_PASSWORD_COST;
const app = createSandboxApp(store);
const stopWebhooks = startWebhookSender(
  store,
  { url: config.SANDBOX_WEBHOOK_URL ?? null, secret: config.SANDBOX_WEBHOOK_SECRET ?? "" },
  {
    intervalMs: config.SANDBOX_WEBHOOK_INTERVAL_MS,
    retryBaseMs: config.SANDBOX_WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: config.SANDBOX_WEBHOOK_RETRY_MAX_MS,
  },
);

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: config.SANDBOX_PORT }, (info) => {
  store.publicUrl = `http://127.0.0.1:${info.port}`;
  // Launchers and tests read this line to learn the port (SANDBOX_PORT=0 picks a free one).
  console.log(`Sandbox listening on http://127.0.0.1:${info.port}`);
});

const stop = () => {
  stopWebhooks();
  // Requests in flight are answered once durable; then the log is closed.
  server.close(() => void store.close().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
