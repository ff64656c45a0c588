/**
 * Runs a `next` command next to the services it needs (database, sandbox), and shuts them all
 * down together: Ctrl-C, SIGTERM, or the Next.js process ending stop everything this process
 * started.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import { childEnv } from "../../server/env";

const require = createRequire(import.meta.url);
export const NEXT_BIN = require.resolve("next/dist/bin/next");

export interface TService {
  stop: () => Promise<void>;
}

export function runNext(
  args: string[],
  options: { env: Record<string, string>; services: TService[]; logFile?: string },
): void {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], {
    stdio: options.logFile ? ["ignore", "pipe", "pipe"] : "inherit",
    env: childEnv({ NEXT_TELEMETRY_DISABLED: "1", ...options.env }),
  });
  if (options.logFile) {
    // Keep a copy of everything the server prints (the e2e tests search it for leaked secrets).
    const log = createWriteStream(options.logFile, { flags: "a" });
    child.stdout?.on("data", (chunk: Buffer) => (process.stdout.write(chunk), log.write(chunk)));
    child.stderr?.on("data", (chunk: Buffer) => (process.stderr.write(chunk), log.write(chunk)));
  }
  let isStopping = false;
  const stop = async (code: number) => {
    if (isStopping) return;
    isStopping = true;
    if (child.exitCode === null) child.kill("SIGTERM");
    // Services stop in reverse order of start; one failing to stop does not keep the others up.
    for (const service of [...options.services].reverse()) await service.stop().catch(() => {});
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  child.on("exit", (code) => void stop(code ?? 1));
}
