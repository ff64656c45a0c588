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

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-test-pg-"));
  const database = await startEmbeddedPostgres({ dir, port: await freePort(), persistent: false, quiet: true });
  project.provide("clusterUrl", database.url);
  return async () => {
    await database.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
