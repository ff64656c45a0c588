/**
 * Runs a `next` command next to a database, and shuts both down together: Ctrl-C, SIGTERM,
 * or the Next.js process ending all stop the database this process started.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { childEnv } from "../../server/env";
import type { TEmbeddedDatabase } from "../../server/database/embedded";

const require = createRequire(import.meta.url);
export const NEXT_BIN = require.resolve("next/dist/bin/next");

export function runNext(args: string[], database: TEmbeddedDatabase, extraEnv: Record<string, string>): void {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], {
    stdio: "inherit",
    env: childEnv({ DATABASE_URL: database.url, NEXT_TELEMETRY_DISABLED: "1", ...extraEnv }),
  });
  let isStopping = false;
  const stop = async (code: number) => {
    if (isStopping) return;
    isStopping = true;
    if (child.exitCode === null) child.kill("SIGTERM");
    await database.stop().catch(() => {});
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  child.on("exit", (code) => void stop(code ?? 1));
}
