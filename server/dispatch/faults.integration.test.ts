/**
 * The fault suite (issue 7): real worker processes, a Postgres of its own (so it can be stopped
 * and started), the sandbox vendor with its webhooks flowing back. Each scenario saves a burst of
 * changes for many users while a fault strikes, heals, waits for quiet, then counts, from the
 * vendor's own apply log and the database: lost changes, writes applied twice, older-after-newer
 * writes, and entries that never ended. All must be 0.
 *
 * Size: FAULT_USERS users × 3 networks × FAULT_SAVES saves per scenario (short in `npm test`;
 * `npm run test:faults` runs the long one).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestSandbox } from "../../test/sandbox";
import { setupWebhookReceiver, spawnWorkerProcess } from "../../test/sync-harness";
import { spawnTs } from "../../scripts/lib/spawn-ts";
import type { TSandboxNetworkId } from "../../sandbox/networks";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { freePort, startEmbeddedPostgres, type TEmbeddedDatabase } from "../database/embedded";
import { prepareDatabase } from "../database/prepare";
import { createDb } from "../db";
import { currentSnapshot, updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";
import { toNetworkView } from "../registration/network-view";
import { mapSettings } from "../sync/map-settings";
import { PROFILE_FIELDS, WRITE_KEY_PREFIX } from "../sync/state";

const USERS = Number(process.env.FAULT_USERS ?? 20);
const SAVES = Number(process.env.FAULT_SAVES ?? 5);
const NETWORKS: TSandboxNetworkId[] = ["qq", "msn", "fetion"];
const WEBHOOK_SECRET = "fault-suite-webhook-secret-0123";
const KEY = `k1:${randomBytes(32).toString("base64")}`;

// A Postgres of this suite's own: the restart scenario stops it.
const pgDir = mkdtempSync(path.join(os.tmpdir(), "oneprofile-faults-pg-"));
const pgPort = await freePort();
let database: TEmbeddedDatabase = await startEmbeddedPostgres({
  dir: pgDir,
  port: pgPort,
  persistent: true,
  quiet: true,
});
const databaseUrl = database.url;
await prepareDatabase(databaseUrl);
let db = createDb(databaseUrl);
afterAll(async () => {
  await db.$disconnect();
  await database.stop();
  rmSync(pgDir, { recursive: true, force: true });
});

const webhookUrl = await setupWebhookReceiver(() => db, WEBHOOK_SECRET);

const sandbox = await setupTestSandbox({
  webhookUrl,
  webhookSecret: WEBHOOK_SECRET,
  webhookRetryBaseMs: 100,
  webhookRetryMaxMs: 1000,
  webhookIntervalMs: 50,
});
const keyring = createKeyring(KEY, undefined);
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 2000 },
});

const workers = new Set<ChildProcess>();
function startWorker(): ChildProcess {
  const child = spawnWorkerProcess({ databaseUrl, sandboxUrl: sandbox.url, encryptionKey: KEY, concurrency: 8 });
  workers.add(child);
  child.once("exit", () => workers.delete(child));
  return child;
}
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code)),
  );
afterAll(() => {
  for (const child of workers) child.kill("SIGKILL");
});

// ---- the population: USERS people with QQ, MSN and Fetion linked ----
const people: Array<{ userId: string; accounts: Array<{ id: string; network: TSandboxNetworkId; login: string }> }> =
  [];
for (let index = 0; index < USERS; index++) {
  const user = await db.user.create({
    data: { email: `fault-${index}-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { displayName: `Person ${index}` }, source: "portal" });
  const accounts = [];
  for (const network of NETWORKS) {
    const login =
      network === "qq"
        ? String(10_000 + index * 1000 + Math.floor(Math.random() * 1000))
        : network === "msn"
          ? `fault${index}-${randomBytes(3).toString("hex")}@msn.example`
          : `139${String(index).padStart(4, "0")}${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
    const password = `pw-${randomBytes(5).toString("hex")}`;
    await sandbox.createAccount(network, login, password);
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: network,
      login,
      secret: password,
    });
    accounts.push({ id: linked.id, network, login });
  }
  people.push({ userId: user.id, accounts });
}
startWorker();
startWorker();

let round = 0;
/** SAVES saves per person, fields alternating, as fast as the portal takes them. */
async function saveBurst(label: string): Promise<void> {
  round++;
  for (let save = 0; save < SAVES; save++) {
    await Promise.all(
      people.map(({ userId }, index) =>
        updateProfile(db, {
          userId,
          changes:
            save % 2 === 0
              ? { signature: `${label} r${round} s${save} p${index}` }
              : { displayName: `${label} ${round}.${save} #${index}` },
          source: "portal",
        }),
      ),
    );
  }
}

/** What still runs: the vendor's in-flight work and outbox, and our jobs and unprocessed reports. */
async function busyness() {
  const vendor = await sandbox.quiet();
  const pending = await db.job.count({ where: { state: "PENDING" } });
  const dead = await db.job.count({ where: { state: "DEAD", kind: "sync-account" } });
  const unprocessed = await db.inboundEvent.count({ where: { processedAt: null } });
  return { vendor, pending, dead, unprocessed };
}

async function isQuiet(): Promise<boolean> {
  try {
    const { vendor, pending, dead, unprocessed } = await busyness();
    return vendor.isQuiet && pending + dead + unprocessed === 0 && (await sandbox.quiet()).isQuiet;
  } catch {
    return false; // the database is coming back (the restart scenario)
  }
}

async function quiesce(): Promise<void> {
  try {
    await expect.poll(isQuiet, { timeout: 150_000, interval: 250 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect.poll(isQuiet, { timeout: 150_000, interval: 250 }).toBe(true);
  } catch (error) {
    const jobs = await db.job.findMany({ where: { state: { not: "DONE" } }, take: 5 });
    console.error(
      "not quiet:",
      JSON.stringify(await busyness()),
      JSON.stringify(jobs, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
    );
    throw error;
  }
}

/** Counts against the vendor's records and the database; prints them; all must be 0. */
async function audit(
  scenario: string,
  startedAt: number,
  since: Date,
  expectedTotal = USERS * NETWORKS.length * SAVES,
) {
  let lost = 0;
  let appliedTwice = 0;
  let olderAfterNewer = 0;
  for (const { userId, accounts } of people) {
    const desired = await currentSnapshot(db, userId);
    for (const { id, network, login } of accounts) {
      const account = await db.linkedAccount.findUniqueOrThrow({ where: { id }, include: { network: true } });
      const view = toNetworkView(account.network);
      const expected = mapSettings({
        snapshot: desired.snapshot,
        fields: PROFILE_FIELDS,
        sync: { avatar: true, displayName: true, signature: true, mood: true },
        capabilities: view.capabilities,
        networkName: view.displayName,
      }).settings;
      const vendor = (await sandbox.account(network, login)) as unknown as Record<string, unknown>;
      for (const field of ["displayName", "signature"] as const) {
        if (expected[field] !== undefined && vendor[field] !== expected[field]) {
          lost++;
          console.error(
            `lost at ${network} ${login}: ${field} shows ${String(vendor[field])}, latest is ${expected[field]}`,
          );
        }
      }
      const { entries } = await sandbox.log(network, login);
      const seen = new Set<string>();
      const last = new Map<string, number>();
      for (const entry of entries) {
        if (entry.origin !== "api" || !entry.idempotencyKey?.startsWith(WRITE_KEY_PREFIX)) continue;
        const once = `${entry.idempotencyKey}|${entry.field}`;
        if (seen.has(once)) appliedTwice++;
        seen.add(once);
        const field = entry.field === "moodText" ? "mood" : entry.field;
        const pair = entry.idempotencyKey
          .split(":")
          .pop()!
          .split(",")
          .find((p) => p.startsWith(`${field}=`));
        const version = Number(pair?.split("=")[1] ?? 0);
        if (version < (last.get(field) ?? 0)) {
          olderAfterNewer++;
          console.error(
            `older after newer at ${network} ${login}: ${field} ${last.get(field)} then ${version} (${entry.idempotencyKey})\n` +
              entries
                .map((e) => `  ${e.seq} ${e.at} ${e.field}=${e.value} v${e.version} ${e.idempotencyKey}`)
                .join("\n"),
          );
        }
        last.set(field, version);
      }
    }
  }
  const deliveries = await db.delivery.groupBy({
    by: ["state"],
    where: { createdAt: { gte: since } },
    _count: true,
  });
  const byState = Object.fromEntries(deliveries.map((group) => [group.state, group._count]));
  const total = deliveries.reduce((sum, group) => sum + group._count, 0);
  const open = (byState.QUEUED ?? 0) + (byState.SENDING ?? 0) + (byState.RETRYING ?? 0);
  const failedWithoutReason = await db.delivery.count({
    where: { createdAt: { gte: since }, state: "FAILED", lastError: null },
  });
  console.log(
    `faults[${scenario}]: ${total} deliveries (${JSON.stringify(byState)}), lost ${lost}, applied twice ${appliedTwice}, ` +
      `older after newer ${olderAfterNewer}, not ended ${open}, failed without reason ${failedWithoutReason} ` +
      `— ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  );
  expect({ lost, appliedTwice, olderAfterNewer, open, failedWithoutReason }).toEqual({
    lost: 0,
    appliedTwice: 0,
    olderAfterNewer: 0,
    open: 0,
    failedWithoutReason: 0,
  });
  expect(total).toBe(expectedTotal);
}

/** Runs a scenario: the fault strikes while a burst is saved and sent; then heal, quiet, audit. */
async function scenario(name: string, strike: () => Promise<void>, options: { isAfterSaves?: boolean } = {}) {
  const startedAt = Date.now();
  const since = new Date((await db.$queryRaw<Array<{ now: Date }>>`SELECT now()`)[0]!.now);
  const saving = saveBurst(name);
  // Saves need the database: a fault that takes it away strikes once they are in, mid-delivery.
  if (options.isAfterSaves) await saving;
  await strike();
  await saving;
  await sandbox.clearFaults();
  await quiesce();
  await audit(name, startedAt, since);
}

const TIMEOUT = 300_000;
const until = (check: () => Promise<boolean>) => expect.poll(check, { timeout: 60_000, interval: 100 }).toBe(true);
const delivered = async (since: number) =>
  (await db.delivery.count({ where: { state: "DELIVERED", deliveredAt: { gte: new Date(since) } } })) > 0;

describe("fault suite", () => {
  it(
    "Postgres stopped and started mid-run",
    async () => {
      await sandbox.setFaults("qq", { latencyMs: 100 });
      await scenario(
        "postgres restart",
        async () => {
          // This process stands in for the portal (saves, the webhook route); the saves are in
          // and the vendor holds its webhooks over the restart, so what goes through it is the
          // worker processes, mid-delivery. This process then takes a fresh client.
          await sandbox.setWebhooks({ isPaused: true });
          await expect.poll(async () => (await sandbox.quiet()).webhooksInFlight, { timeout: 10_000 }).toBe(0);
          await database.stop();
          await new Promise((resolve) => setTimeout(resolve, 1500));
          database = await startEmbeddedPostgres({ dir: pgDir, port: pgPort, persistent: true, quiet: true });
          const old = db;
          db = createDb(databaseUrl);
          await old.$disconnect().catch(() => {});
          await sandbox.setWebhooks({});
        },
        { isAfterSaves: true },
      );
      // The workers lived through it (they reconnect; none crashed).
      expect(workers.size).toBe(2);
    },
    TIMEOUT,
  );

  it(
    "kill -9 of a worker, three times mid-run",
    async () => {
      await sandbox.setFaults("qq", { latencyMs: 50 });
      await scenario("kill -9", async () => {
        for (let kill = 0; kill < 3; kill++) {
          const startedAt = Date.now();
          await until(() => delivered(startedAt));
          const [victim] = [...workers];
          victim!.kill("SIGKILL");
          await exited(victim!);
          startWorker();
        }
      });
    },
    TIMEOUT,
  );

  it(
    "30% of vendor calls answer 5xx",
    async () => {
      for (const network of NETWORKS) await sandbox.setFaults(network, { errorRate: 0.3, errorStatus: 503 });
      await scenario("30% 5xx", async () => {});
    },
    TIMEOUT,
  );

  it(
    "a 429 storm with Retry-After",
    async () => {
      await scenario("429 storm", async () => {
        for (const network of NETWORKS) await sandbox.setFaults(network, { rateLimitRetryAfterSeconds: 1 });
        await new Promise((resolve) => setTimeout(resolve, 2500));
      });
    },
    TIMEOUT,
  );

  it(
    "a vendor that stops answering, then answers again",
    async () => {
      await scenario("vendor silent", async () => {
        await sandbox.setFaults("msn", { isTimingOut: true });
        await new Promise((resolve) => setTimeout(resolve, 3000));
      });
    },
    TIMEOUT,
  );

  it(
    "a vendor down, then back",
    async () => {
      await scenario("vendor down", async () => {
        await sandbox.setFaults("fetion", { isDown: true });
        await new Promise((resolve) => setTimeout(resolve, 3000));
      });
    },
    TIMEOUT,
  );

  it(
    "SIGTERM under load: running jobs finish within 30 s and the worker exits cleanly",
    async () => {
      await sandbox.setFaults("qq", { latencyMs: 300 });
      await scenario("sigterm", async () => {
        const startedAt = Date.now();
        await until(() => delivered(startedAt));
        const [victim] = [...workers];
        const stopAt = Date.now();
        victim!.kill("SIGTERM");
        const code = await exited(victim!);
        const seconds = (Date.now() - stopAt) / 1000;
        console.log(`faults[sigterm]: worker exited with ${code} after ${seconds.toFixed(1)} s`);
        expect(code).toBe(0);
        expect(seconds).toBeLessThan(30);
        startWorker();
      });
    },
    TIMEOUT,
  );

  it(
    "the app killed between writing a revision and anything after it: all of it or none of it",
    async () => {
      const startedAt = Date.now();
      const since = new Date((await db.$queryRaw<Array<{ now: Date }>>`SELECT now()`)[0]!.now);
      const writer = spawnTs("test/save-loop.ts", {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "test",
          DATABASE_URL: databaseUrl,
          ONEPROFILE_ENCRYPTION_KEY: KEY,
          SAVE_LOOP_USERS: people.map((p) => p.userId).join(","),
        } as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "ignore"],
      });
      // Killed as soon as it has written some revisions: mid-transaction, very likely.
      await new Promise<void>((resolve) => {
        let lines = 0;
        writer.stdout!.on("data", (chunk: Buffer) => {
          lines += chunk.toString().split("\n").filter(Boolean).length;
          if (lines >= 20) resolve();
        });
      });
      writer.kill("SIGKILL");
      await exited(writer);
      // Every revision has its entries and its accounts' dirty markers; none is half written.
      const revisions = await db.profileRevision.findMany({
        where: { createdAt: { gte: since } },
        include: { _count: { select: { deliveries: true } } },
      });
      const halfWritten = revisions.filter((revision) => revision._count.deliveries !== NETWORKS.length).length;
      console.log(
        `faults[killed writer]: ${revisions.length} revisions written before kill -9, ${halfWritten} half written`,
      );
      expect(revisions.length).toBeGreaterThan(0);
      expect(halfWritten).toBe(0);
      await quiesce();
      await audit("killed writer", startedAt, since, revisions.length * NETWORKS.length);
    },
    TIMEOUT,
  );
});
