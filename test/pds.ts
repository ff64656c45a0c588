/**
 * Test helper: a real, throw-away Bluesky PDS with its own PLC directory (test/pds/pds-server.mjs,
 * under Node 22), on loopback, for the Bluesky connector's tests. Its data lives in a temporary
 * directory; accounts get `did:plc` identities and `.test` handles. `otherApp` is the person's
 * other Bluesky app: a session of its own through @atproto/api, which edits the profile record
 * behind OneProfile's back.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AtpAgent } from "@atproto/api";
import { afterAll } from "vitest";
import { ensureTestPds, PDS_DIR, PDS_NODE } from "../scripts/lib/pds";
import { freePort } from "../server/database/embedded";

/** Long enough for a start on a loaded two-core machine; about 2 s when idle. */
const READY_TIMEOUT_MS = 60_000;

export interface TTestPdsAccount {
  did: string;
  handle: string;
  /** The app password a person would make for OneProfile in Bluesky's settings. */
  appPassword: string;
  /** The account's main password (OneProfile refuses it: an app password is asked for). */
  password: string;
  /** The person's other app, signed in with the account's main password. */
  otherApp: AtpAgent;
}

export interface TTestPds {
  url: string;
  /** Makes an account (`<name>.test`) and an app password for it. */
  createAccount(name: string): Promise<TTestPdsAccount>;
  /** The PDS's own output so far (to print when a test fails). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts a PDS for this test file; `afterAll` stops it and removes its data. Call at the top level. */
export async function setupTestPds(): Promise<TTestPds> {
  const message = ensureTestPds();
  if (!message.startsWith("Using")) console.info(message);
  const pds = await startTestPds();
  afterAll(() => pds.stop());
  return pds;
}

async function startTestPds(): Promise<TTestPds> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-pds-"));
  mkdirSync(path.join(dir, "data"));
  const port = await freePort();
  // Only what the PDS needs: not this process's NODE_OPTIONS (a loader for Node 20) or secrets.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    PDS_HOSTNAME: "localhost",
    PDS_PORT: String(port),
    PDS_DATA_DIRECTORY: path.join(dir, "data"),
    PDS_BLOBSTORE_DISK_LOCATION: path.join(dir, "blobs"),
    PDS_JWT_SECRET: randomBytes(16).toString("hex"),
    PDS_ADMIN_PASSWORD: randomBytes(16).toString("hex"),
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: randomBytes(32).toString("hex"),
    // Development mode lets the PDS reach its PLC directory over plain HTTP on loopback.
    PDS_DEV_MODE: "true",
    PDS_INVITE_REQUIRED: "false",
    PDS_SERVICE_HANDLE_DOMAINS: ".test",
    // TEST_PDS_LOG=1: its own log in `log()`, for a failing test.
    LOG_ENABLED: process.env.TEST_PDS_LOG === "1" ? "true" : "false",
  };
  const child = spawn(PDS_NODE, [path.join(PDS_DIR, "pds-server.mjs")], {
    cwd: PDS_DIR,
    stdio: ["ignore", "pipe", "pipe"],
    env: env as NodeJS.ProcessEnv,
  });
  let output = "";
  let ready: string | null = null;
  let exitCode: number | null | undefined;
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    ready ??= /^READY (.*)$/m.exec(output)?.[1] ?? null;
  });
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  // A test process that dies without afterAll (a crash) still takes its server with it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the test PDS exited (code ${exitCode}) before serving:\n${output}`);
    if (
      ready !== null &&
      (await fetch(`${url}/xrpc/_health`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the test PDS did not serve within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    // Poll the condition (its READY line and health), not a guess at how long startup takes.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    log: () => output,
    async createAccount(name) {
      const otherApp = new AtpAgent({ service: url });
      const password = randomBytes(12).toString("hex");
      const handle = `${name}.test`;
      const { data } = await otherApp.createAccount({ handle, email: `${name}@example.com`, password });
      const { data: app } = await otherApp.com.atproto.server.createAppPassword({ name: "OneProfile" });
      return { did: data.did, handle: data.handle, password, appPassword: app.password, otherApp };
    },
    async stop() {
      process.off("exit", killOnExit);
      if (exitCode === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
