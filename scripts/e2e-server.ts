/**
 * The server the browser tests run against: a production build, served by the portal's own
 * server as `npm start` does (scripts/lib/next-server.ts), on a fresh
 * PostgreSQL cluster and a fresh sandbox in temporary directories, thrown away afterwards —
 * never the dev data, and never a database named by DATABASE_URL. Started by Playwright.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandboxProcess } from "../sandbox/process";
import { freePort, startEmbeddedPostgres } from "../server/database/embedded";
import { prepareDatabase } from "../server/database/prepare";
import { E2E_PORT, E2E_STATE_DIR, SERVER_LOG, SERVER_STATE } from "../e2e/config";
import { runNext } from "./lib/run-next";
import { startWorker } from "./lib/worker";

const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-e2e-"));
const database = await startEmbeddedPostgres({ dir: path.join(dir, "pg"), port: await freePort(), persistent: false });
await prepareDatabase(database.url);
const webhookSecret = randomBytes(24).toString("base64url");
const sandbox = await startSandboxProcess({
  dataDir: path.join(dir, "sandbox"),
  webhookUrl: `http://127.0.0.1:${E2E_PORT}/api/webhooks`,
  webhookSecret,
});

// The tests read this to reach the same database and sandbox (to promote a user, inject faults).
mkdirSync(E2E_STATE_DIR, { recursive: true });
writeFileSync(SERVER_STATE, JSON.stringify({ databaseUrl: database.url, sandboxUrl: sandbox.url }));
writeFileSync(SERVER_LOG, "");

const serviceEnv: Record<string, string> = {
  NODE_ENV: "production",
  DATABASE_URL: database.url,
  SANDBOX_URL: sandbox.url,
  NEXTAUTH_URL: `http://127.0.0.1:${E2E_PORT}`,
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  ONEPROFILE_ENCRYPTION_KEY: `e2e:${randomBytes(32).toString("base64")}`,
  SANDBOX_WEBHOOK_SECRET: webhookSecret,
  // Every browser test signs up from 127.0.0.1; the limit itself is tested in Vitest.
  SIGN_UPS_PER_ADDRESS_PER_HOUR: "1000",
};
// The worker's output goes into the same log: it is searched for leaked secrets too.
const worker = startWorker({ ...serviceEnv, WORKER_RETRY_BASE_MS: "500" }, (chunk) => {
  process.stdout.write(chunk);
  appendFileSync(SERVER_LOG, chunk);
});

runNext({
  mode: "start",
  port: E2E_PORT,
  hostname: "127.0.0.1",
  logFile: SERVER_LOG,
  services: [
    {
      stop: async () => {
        await database.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    },
    sandbox,
    worker,
  ],
  env: serviceEnv,
});
