/**
 * Test helper: a real, throw-away Prosody (XMPP server) on loopback, for the XMPP connector's
 * integration tests. Its own config, data, pidfile and log live in a temporary directory; c2s
 * listens on a free 127.0.0.1 port without TLS (SCRAM-SHA-1 logs in without it) and s2s is off,
 * so it never talks to anything but the test process.
 */
import { spawn, type ChildProcess, execFile } from "node:child_process";
import net from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll } from "vitest";
import { ensureProsody, realProsodyHost, type TProsodyBinaries } from "../scripts/lib/prosody";
import { freePort } from "../server/database/embedded";

const execFileAsync = promisify(execFile);

/** Long enough for Prosody's start on a loaded two-core machine; it takes about 0.2 s when idle. */
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface TTestProsody {
  /** The c2s port on 127.0.0.1. */
  port: number;
  /** The one VirtualHost: accounts are `user@domain`. */
  domain: string;
  dir: string;
  createAccount(user: string, password: string): Promise<void>;
  deleteAccount(user: string): Promise<void>;
  /** Stops the server (SIGTERM, a clean shutdown); its data stays for `start()`. */
  stop(): Promise<void>;
  /** Starts it again after `stop()`, on the same port with the same data. */
  start(): Promise<void>;
  /** Whether the server process is running (started and not stopped). */
  isRunning(): Promise<boolean>;
  /** Stops and starts it; with `isPepEnabled`, with PEP (and the vCard modules built on it) on or off. */
  restart(options?: { isPepEnabled?: boolean }): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
  /** Prosody's own log so far (to print when a test fails). */
  log(): string;
}

/** Whether an XMPP server for `domain` answers a stream header on this loopback port (within 1 s). */
function isXmppAnswering(port: number, domain: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    const done = (isAnswering: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(isAnswering);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.once("connect", () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream to=${lua(domain)} version='1.0' xmlns='jabber:client' ` +
          "xmlns:stream='http://etherx.jabber.org/streams'>",
      ),
    );
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
      if (received.includes("<stream:stream")) done(true);
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

let binariesFound: TProsodyBinaries | undefined;

/** Prosody's programs, installed on first use where that is possible (see scripts/lib/prosody.ts). */
function prosodyBinaries(): TProsodyBinaries {
  if (binariesFound) return binariesFound;
  const choice = ensureProsody(realProsodyHost());
  if (!choice.binaries) throw new Error(choice.message);
  if (!choice.message.startsWith("Using")) console.info(choice.message);
  binariesFound = choice.binaries;
  return binariesFound;
}

function lua(value: string): string {
  return JSON.stringify(value);
}

export interface TTestProsodyOptions {
  domain?: string;
  /**
   * Offer STARTTLS with a self-signed certificate (that no client trusts) and require it: a
   * server for proving that a client refuses what it cannot verify.
   */
  isTls?: boolean;
}

/** The whole config: nothing from /etc/prosody is read. */
export function prosodyConfig(options: {
  dir: string;
  port: number;
  domain: string;
  isTls: boolean;
  /** PEP (XEP-0163) and the vCard modules that use it; default on. Off: a server that keeps no profile. */
  isPepEnabled?: boolean;
}): string {
  const { dir, port, domain, isTls } = options;
  const pep = (options.isPepEnabled ?? true) ? ` "pep"; "vcard4"; "vcard_legacy";` : "";
  const encryption = isTls
    ? `-- A self-signed certificate in certs/ (found by host name): STARTTLS offered and required.
c2s_require_encryption = true`
    : `-- No certificate, so no STARTTLS; SCRAM-SHA-1 logs in over plaintext (PLAIN stays off).
c2s_require_encryption = false`;
  return `-- Written by test/prosody.ts for one test run.
-- Tests may run as root (CI, containers); this server only listens on loopback.
run_as_root = true
daemonize = false
pidfile = ${lua(path.join(dir, "prosody.pid"))}
data_path = ${lua(path.join(dir, "data"))}
certificates = ${lua(path.join(dir, "certs"))}
log = { { levels = { min = "info" }, to = "file", filename = ${lua(path.join(dir, "prosody.log"))} } }

c2s_ports = { ${port} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
${encryption}
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
storage = "internal"

-- posix, presence, message, iq, c2s are loaded anyway; s2s and offline storage are not wanted.
modules_disabled = { "s2s"; "s2s_auth_certs"; "offline" }
modules_enabled = {
  "roster"; "saslauth"; "disco";${pep} "ping";${isTls ? ` "tls";` : ""}
}

VirtualHost ${lua(domain)}
`;
}

/** `<domain>.crt` and `.key` in `dir`, where Prosody looks for a host's certificate. */
async function selfSignedCertificate(dir: string, domain: string): Promise<void> {
  const [key, cert] = [path.join(dir, `${domain}.key`), path.join(dir, `${domain}.crt`)];
  await execFileAsync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${domain}`,
    "-addext",
    `subjectAltName=DNS:${domain}`,
  ]).catch((error: unknown) => {
    throw new Error(`openssl could not make a test certificate (is openssl installed?): ${String(error)}`);
  });
}

/**
 * Starts a Prosody for this test file: `afterAll` stops it and removes its data. Tests in the
 * file share it, so each one makes its own accounts. Call it at the top level of the file
 * (`const prosody = await setupTestProsody()`, as `setupTestSandbox`): an `afterAll` registered
 * inside a hook is never run. Inside a hook, use `startTestProsody` and `cleanup()`.
 */
export async function setupTestProsody(options: TTestProsodyOptions = {}): Promise<TTestProsody> {
  const prosody = await startTestProsody(options);
  afterAll(() => prosody.cleanup());
  return prosody;
}

export async function startTestProsody(options: TTestProsodyOptions = {}): Promise<TTestProsody> {
  const binaries = prosodyBinaries();
  const domain = options.domain ?? "oneprofile.test";
  const isTls = options.isTls ?? false;
  const dir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-prosody-"));
  mkdirSync(path.join(dir, "data"));
  mkdirSync(path.join(dir, "certs"));
  if (isTls) await selfSignedCertificate(path.join(dir, "certs"), domain);
  const port = await freePort();
  const configFile = path.join(dir, "prosody.cfg.lua");
  writeFileSync(configFile, prosodyConfig({ dir, port, domain, isTls }));
  const logFile = path.join(dir, "prosody.log");

  let child: ChildProcess | null = null;
  let output = "";
  // A test process that dies without afterAll (a crash) still takes its server with it.
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  async function start(): Promise<void> {
    if (child) throw new Error("test Prosody is already running");
    output = "";
    const started = spawn(binaries.prosody, ["--config", configFile, "-F"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let exitCode: number | null | undefined;
    started.once("exit", (code) => {
      exitCode = code;
      if (child === started) child = null;
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitCode !== undefined) {
        throw new Error(`test Prosody exited (code ${exitCode}) before listening:\n${output}\n${log()}`);
      }
      // Prosody itself answering, not only something on the port: stopped and started again, the
      // port was free meanwhile, and another process may hold it now (Prosody then logs that it
      // could not bind, and runs on without a listener).
      if (await isXmppAnswering(port, domain)) return;
      if (Date.now() > deadline) {
        started.kill("SIGKILL");
        throw new Error(`test Prosody did not listen on ${port} within ${READY_TIMEOUT_MS} ms:\n${output}\n${log()}`);
      }
      // Poll the condition (the port), not a guess at how long startup takes.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    child = null;
  }

  async function prosodyctl(...args: string[]): Promise<void> {
    try {
      await execFileAsync(binaries.prosodyctl, ["--config", configFile, ...args], { cwd: dir });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`prosodyctl ${args.slice(0, 3).join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
    }
  }

  await start();

  return {
    port,
    domain,
    dir,
    // prosodyctl writes the account files directly (internal storage); the running server reads
    // them on login, so no reload is needed, and it works while the server is stopped too.
    createAccount: (user, password) => prosodyctl("register", user, domain, password),
    deleteAccount: (user) => prosodyctl("unregister", user, domain),
    stop,
    start,
    isRunning: async () => child !== null,
    async restart(restartOptions = {}) {
      await stop();
      if (restartOptions.isPepEnabled !== undefined) {
        writeFileSync(
          configFile,
          prosodyConfig({ dir, port, domain, isTls, isPepEnabled: restartOptions.isPepEnabled }),
        );
      }
      await start();
    },
    async cleanup() {
      await stop();
      process.removeListener("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
    log,
  };
}
