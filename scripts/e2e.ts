/** `npm run test:e2e`: a production build, then Playwright (which starts scripts/e2e-server.ts). */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { childEnv } from "../server/env";
import { NEXT_BIN } from "./lib/run-next";

const require = createRequire(import.meta.url);
const env = childEnv({ NEXT_TELEMETRY_DISABLED: "1" });

function run(args: string[]): void {
  const result = spawnSync(process.execPath, args, { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run([NEXT_BIN, "build"]);
run([require.resolve("@playwright/test/cli"), "test", ...process.argv.slice(2)]);
