import { childEnv } from "../../server/env";
import type { TService } from "./run-next";
import { spawnTs } from "./spawn-ts";

/**
 * A worker (`npm run worker`) beside the portal, for `npm run dev`, `npm start` and the e2e
 * server. In production you may run workers on their own machines instead.
 */
export function startWorker(env: Record<string, string>, onOutput?: (chunk: Buffer) => void): TService {
  const child = spawnTs("server/dispatch/main.ts", {
    stdio: onOutput ? ["ignore", "pipe", "pipe"] : "inherit",
    env: childEnv(env),
  });
  if (onOutput) {
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
  }
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
