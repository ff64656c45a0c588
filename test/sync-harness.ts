/**
 * Test helpers for the sync engine on real parts: OneProfile's webhook endpoint as far as the
 * tests need it (the same domain function the route calls), and worker processes to kill.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { spawnTs } from "../scripts/lib/spawn-ts";
import type { TDb } from "../server/db";
import { receiveSandboxEvent } from "../server/monitor/receive-sandbox-event";

/** Listens on loopback for the sandbox's webhooks; returns the base URL to give it. Closed after the file. */
export async function setupWebhookReceiver(db: TDb | (() => TDb), secret: string): Promise<string> {
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
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

/** A real worker process (`npm run worker`), with short leases, retries and timeouts for tests. */
export function spawnWorkerProcess(options: {
  databaseUrl: string;
  sandboxUrl: string;
  encryptionKey: string;
  concurrency?: number;
  settings?: Record<string, string>;
}): ChildProcess {
  return spawnTs("server/dispatch/main.ts", {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: options.databaseUrl,
      SANDBOX_URL: options.sandboxUrl,
      ONEPROFILE_ENCRYPTION_KEY: options.encryptionKey,
      ONEPROFILE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "oneprofile-worker-")),
      WORKER_CONCURRENCY: String(options.concurrency ?? 4),
      WORKER_LEASE_MS: "2000",
      WORKER_RETRY_BASE_MS: "50",
      WORKER_SWEEP_MS: "200",
      WORKER_QUARANTINE_MS: "300",
      CONNECTOR_TIMEOUT_MS: "800",
      ...options.settings,
    } as NodeJS.ProcessEnv,
    stdio: "ignore",
  });
}
