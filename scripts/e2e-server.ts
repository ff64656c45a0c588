/**
 * The server the browser tests run against: a production build (`next start`) on a fresh
 * PostgreSQL cluster in a temporary directory, thrown away afterwards — never the dev data, and
 * never a database named by DATABASE_URL. Started by Playwright (playwright.config.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, startEmbeddedPostgres } from "../server/database/embedded";
import { migrate } from "../server/database/migrate";
import { runNext } from "./lib/run-next";
import { E2E_PORT, E2E_STATE_DIR } from "../e2e/config";

const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-e2e-pg-"));
const database = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false });
await migrate(database.url);
// The tests read this to reach the same database (for example to promote a user to admin).
mkdirSync(E2E_STATE_DIR, { recursive: true });
writeFileSync(path.join(E2E_STATE_DIR, "server.json"), JSON.stringify({ databaseUrl: database.url }));

runNext(
  ["start", "--port", String(E2E_PORT), "--hostname", "127.0.0.1"],
  {
    url: database.url,
    stop: async () => {
      await database.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    NODE_ENV: "production",
    NEXTAUTH_URL: `http://127.0.0.1:${E2E_PORT}`,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  },
);
