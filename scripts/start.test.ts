import { once } from "node:events";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spawnTs } from "./lib/spawn-ts";

const START = path.join(import.meta.dirname, "start.ts");

/** `npm start` in an empty directory with only `env`: its exit code and what it printed. */
async function start(env: Record<string, string | undefined>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-start-"));
  const childEnv: Record<string, string | undefined> = { PATH: process.env.PATH, ...env };
  const child = spawnTs(START, { cwd: dir, env: childEnv as NodeJS.ProcessEnv, stdio: "pipe" });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
  const [code] = await once(child, "exit");
  return { code, output, dir };
}

describe("npm start", () => {
  it("refuses to start without its secrets, naming all of them in one line, and generates none", async () => {
    // Whatever NODE_ENV the caller has: `npm start` is production.
    for (const nodeEnv of [{ NODE_ENV: undefined }, { NODE_ENV: "development" }]) {
      const { code, output, dir } = await start(nodeEnv);
      expect(code).toBe(1);
      expect(output).toBe(
        'OneProfile: NEXTAUTH_SECRET, ONEPROFILE_ENCRYPTION_KEY must be set in production (see README, "Production").\n',
      );
      expect(existsSync(path.join(dir, ".data"))).toBe(false);
    }
  });

  it("requires the webhook secret too when SANDBOX_URL turns the sandbox networks on", async () => {
    const { code, output } = await start({
      SANDBOX_URL: "http://127.0.0.1:4010",
      ONEPROFILE_ENCRYPTION_KEY: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'OneProfile: NEXTAUTH_SECRET, SANDBOX_WEBHOOK_SECRET must be set in production (see README, "Production").\n',
    );
  });
});
