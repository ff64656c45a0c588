/**
 * Runs the portal's HTTP server (scripts/lib/next-server.ts: Next.js as a custom server) next to
 * the services it needs (database, sandbox, worker), and shuts them all down together: Ctrl-C,
 * SIGTERM, or the server process ending stop everything this process started.
 */
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { childEnv } from "../../server/env";
import { spawnTs } from "./spawn-ts";

const require = createRequire(import.meta.url);
/** The `next` command, for `next build`. */
export const NEXT_BIN = require.resolve("next/dist/bin/next");
/** The portal's HTTP server (Next.js as a custom server): `next-server.ts <dev|start> <port> [hostname]`. */
export const PORTAL_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "next-server.ts");

export interface TService {
  stop: () => Promise<void>;
}

export function runNext(options: {
  /** `dev`: compiles on demand, with hot reload; `start`: serves the production build. */
  mode: "dev" | "start";
  port: number;
  /** Unset: every interface. */
  hostname?: string;
  env: Record<string, string>;
  services: TService[];
  logFile?: string;
}): void {
  const args = [options.mode, String(options.port), ...(options.hostname ? [options.hostname] : [])];
  const child = spawnTs(
    PORTAL_SERVER,
    {
      stdio: options.logFile ? ["ignore", "pipe", "pipe"] : "inherit",
      env: childEnv({
        NEXT_TELEMETRY_DISABLED: "1",
        ...options.env,
        // As `next dev` / `next start` would: the mode decides, not the caller's NODE_ENV.
        NODE_ENV: options.mode === "start" ? "production" : "development",
      }),
    },
    args,
  );
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
