/**
 * Test helpers for the sync engine on real parts: OneProfile's webhook endpoint as far as the
 * tests need it (scripts/lib/webhook-receiver.ts), and worker processes to kill.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { spawnTs } from "../scripts/lib/spawn-ts";
import { startWebhookReceiver } from "../scripts/lib/webhook-receiver";
import type { TDb } from "../server/db";

/** Listens on loopback for the sandbox's webhooks; returns the base URL to give it. Closed after the file. */
export async function setupWebhookReceiver(db: TDb | (() => TDb), secret: string): Promise<string> {
  const receiver = await startWebhookReceiver(db, secret);
  afterAll(() => receiver.close());
  return receiver.url;
}

/** A real worker process (`npm run worker`), with short leases, retries and timeouts for tests. */
export function spawnWorkerProcess(options: {
  databaseUrl: string;
  sandboxUrl: string;
  encryptionKey: string;
  concurrency?: number;
  settings?: Record<string, string>;
  /** Appends the worker's output (its JSON log) to this file; default: discarded. */
  logFile?: string;
}): ChildProcess {
  const log = options.logFile ? openSync(options.logFile, "a") : "ignore";
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
    stdio: ["ignore", log, log],
  });
}
