/**
 * Starts the sandbox as its own process (as `npm run sandbox` does) and waits until it listens.
 * Used by `npm run dev`, the e2e server and the integration tests.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnTs } from "../scripts/lib/spawn-ts";

export interface TSandboxProcess {
  url: string;
  stop: () => Promise<void>;
}

/** A sandbox process this one started, which it can also end at once. */
export interface TSandboxChild extends TSandboxProcess {
  /** Its process id (the bench reads its CPU time). */
  pid: number | undefined;
  /** Ends the process at once (SIGKILL), as a crash would: for tests of what survives one. */
  kill: () => Promise<void>;
}

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");

export function startSandboxProcess(options: {
  dataDir: string;
  port?: number;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookIntervalMs?: number;
  webhookRetryBaseMs?: number;
  webhookRetryMaxMs?: number;
  /** scrypt cost of account passwords (default scrypt's own, 16384); the bench lowers it. */
  passwordCost?: number;
  /** Where the sandbox's own output goes; default: this process's stderr. */
  onOutput?: (line: string) => void;
  /** Extra arguments for Node itself, e.g. `--cpu-prof` (the bench profiles the vendor too). */
  nodeArgs?: readonly string[];
}): Promise<TSandboxChild> {
  const child = spawnTs(
    MAIN,
    {
      stdio: ["ignore", "pipe", "pipe"],
      // Only what the sandbox needs: it is another vendor's server, not part of OneProfile.
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "development",
        SANDBOX_PORT: String(options.port ?? 0),
        SANDBOX_DATA_DIR: options.dataDir,
        ...(options.webhookUrl ? { SANDBOX_WEBHOOK_URL: options.webhookUrl } : {}),
        ...(options.webhookSecret ? { SANDBOX_WEBHOOK_SECRET: options.webhookSecret } : {}),
        ...(options.webhookIntervalMs ? { SANDBOX_WEBHOOK_INTERVAL_MS: String(options.webhookIntervalMs) } : {}),
        ...(options.webhookRetryBaseMs ? { SANDBOX_WEBHOOK_RETRY_BASE_MS: String(options.webhookRetryBaseMs) } : {}),
        ...(options.webhookRetryMaxMs ? { SANDBOX_WEBHOOK_RETRY_MAX_MS: String(options.webhookRetryMaxMs) } : {}),
        ...(options.passwordCost ? { SANDBOX_PASSWORD_COST: String(options.passwordCost) } : {}),
      } as NodeJS.ProcessEnv,
    },
    [],
    options.nodeArgs ?? [],
  );
  const output = options.onOutput ?? ((line: string) => process.stderr.write(`[sandbox] ${line}\n`));
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  const stop = () => end("SIGTERM");
  const kill = () => end("SIGKILL");
  return new Promise((resolve, reject) => {
    let isReady = false;
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        const match = line.match(/Sandbox listening on (http:\/\/\S+)/);
        if (match && !isReady) {
          isReady = true;
          resolve({ url: match[1]!, pid: child.pid, stop, kill });
        } else output(line);
      }
    };
    child.stdout?.on("data", onLine);
    child.stderr?.on("data", onLine);
    child.once("exit", (code) => {
      if (!isReady) reject(new Error(`The sandbox exited before listening (code ${code}).`));
    });
  });
}
