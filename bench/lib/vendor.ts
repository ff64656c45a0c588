/**
 * The sandbox vendor for the bench, as the integration tests run it: its own process, webhooks
 * on (each write's report comes back to OneProfile's receiver and is judged as an echo by the
 * workers, as in production). Its password hashing is made cheap (scrypt N=16) so that
 * creating and signing in thousands of bench accounts is not what is measured; everything else —
 * API, idempotency, journal, webhooks — is the vendor as tests see it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandboxProcess } from "../../sandbox/process";
import type { TDb } from "../../server/db";
import { startWebhookReceiver } from "../../scripts/lib/webhook-receiver";
import { BENCH_NETWORKS, BENCH_PASSWORD, benchLogin } from "./backlog";
import { cpuSecondsOf } from "./cpu";

export interface TBenchVendor {
  url: string;
  /** Creates the accounts of people [0, people) on every bench network (once each). */
  ensureAccounts(people: number): Promise<void>;
  /** Latency added to every API call, on every bench network. */
  setLatency(latencyMs: number): Promise<void>;
  /** Whether the vendor has nothing in flight and an empty webhook outbox. */
  isQuiet(): Promise<boolean>;
  /** CPU seconds the vendor's process has used (Linux only). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/** `cpuProfileDir`: the sandbox writes a V8 CPU profile there when it exits. */
/**
 * scrypt N of the bench accounts' passwords. Each bench account delivers once, so every delivery
 * costs the vendor a sign-in (production keeps a session an hour); at N=1024 a check is ~1.5 ms of
 * CPU, most of the vendor's time per delivery and a large share of a two-core machine.
 */
const BENCH_PASSWORD_COST = 16;

export async function startBenchVendor(db: TDb, options: { cpuProfileDir?: string } = {}): Promise<TBenchVendor> {
  const secret = "bench-webhook-secret-0123456789";
  const receiver = await startWebhookReceiver(db, secret);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-bench-sandbox-"));
  const sandbox = await startSandboxProcess({
    dataDir,
    webhookUrl: receiver.url,
    webhookSecret: secret,
    webhookIntervalMs: 50,
    passwordCost: BENCH_PASSWORD_COST,
    onOutput: () => {},
    ...(options.cpuProfileDir ? { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir] } : {}),
  });
  const admin = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/__admin/${route}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`sandbox admin ${route}: ${response.status} ${await response.text()}`);
    return response;
  };
  let created = 0;
  return {
    url: sandbox.url,
    async ensureAccounts(people) {
      const pending: Array<() => Promise<unknown>> = [];
      for (let person = created; person < people; person++) {
        for (const network of BENCH_NETWORKS) {
          pending.push(() =>
            admin("POST", `${network}/accounts`, { login: benchLogin(network, person), password: BENCH_PASSWORD }),
          );
        }
      }
      // A few at a time: the sandbox is one process.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let next = pending.shift(); next; next = pending.shift()) await next();
        }),
      );
      created = Math.max(created, people);
    },
    async setLatency(latencyMs) {
      for (const network of BENCH_NETWORKS) await admin("PUT", `faults/${network}`, { latencyMs });
    },
    async isQuiet() {
      const quiet = (await (await admin("GET", "quiet")).json()) as { isQuiet: boolean };
      return quiet.isQuiet;
    },
    cpuSeconds: () => cpuSecondsOf(sandbox.pid),
    async stop() {
      await sandbox.stop();
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
