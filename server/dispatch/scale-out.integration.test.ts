/**
 * Scale-out (issue 8): two worker processes and two portal processes against one Postgres drain
 * one backlog with no delivery claimed twice and per-account order kept.
 *
 * USERS people, each with QQ, MSN and Fetion linked; two real worker processes (`npm run worker`)
 * and two writer processes saving through `updateProfile`, the function the portal's tRPC
 * procedure calls. Both writers save for every person (one in the other's reverse order), so one
 * person's saves come from two processes at once. The writers stop; once quiet, the vendor's own
 * records must show, on every account:
 * 1. convergence: the mapped value of the person's latest revision;
 * 2. no delivery claimed twice, every write applied once: each key's fields once in the apply
 *    log, the vendor's count of applications equal to the keys, and no key sent again (the
 *    sandbox counts replays of a key: with no faults, and leases and timeouts far longer than any
 *    call, nothing is retried, so a replay means a second claim of an account sent its write
 *    again — the idempotency key hides that from the apply log, not from this count);
 * 3. order: per field, the revision versions written never go down;
 * 4. both workers did work: each process's own `oneprofile_deliveries_total` (its metrics port),
 *    and together exactly the writes the vendor applied — every one recorded by one worker's run.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { setupTestSandbox } from "../../test/sandbox";
import { auditApplyLog, expectedSettings } from "../../test/sync-audit";
import { setupWebhookReceiver, spawnWorkerProcess } from "../../test/sync-harness";
import { spawnTs } from "../../scripts/lib/spawn-ts";
import type { TSandboxNetworkId } from "../../sandbox/networks";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { freePort } from "../database/embedded";
import { currentSnapshot, updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";

const USERS = Number(process.env.SCALE_USERS ?? 20);
/** Saves per person by each writer process. */
const SAVES = Number(process.env.SCALE_SAVES ?? 4);
const NETWORKS: TSandboxNetworkId[] = ["qq", "msn", "fetion"];
const WEBHOOK_SECRET = "scale-out-webhook-secret-0123";
const METRICS_TOKEN = "scale-out-metrics-token-0123";
const KEY = `k1:${randomBytes(32).toString("base64")}`;

const { db, url: databaseUrl } = await setupTestDb();
const webhookUrl = await setupWebhookReceiver(db, WEBHOOK_SECRET);
const sandbox = await setupTestSandbox({
  webhookUrl,
  webhookSecret: WEBHOOK_SECRET,
  webhookRetryBaseMs: 100,
  webhookRetryMaxMs: 1000,
  webhookIntervalMs: 50,
});
const keyring = createKeyring(KEY, undefined);
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 15_000 },
});

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});
const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
  );

// ---- the population: people with QQ, MSN and Fetion linked (each account owes the name) ----
type TPerson = { userId: string; accounts: Array<{ id: string; network: TSandboxNetworkId; login: string }> };

async function makePerson(index: number): Promise<TPerson> {
  const user = await db.user.create({
    data: { email: `scale-${index}-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { displayName: `Person ${index}` }, source: "portal" });
  const accounts: TPerson["accounts"] = [];
  for (const network of NETWORKS) {
    const tag = randomBytes(3).toString("hex");
    const login =
      network === "qq"
        ? String(10_000 + index * 1000 + Math.floor(Math.random() * 1000))
        : network === "msn"
          ? `scale${index}-${tag}@msn.example`
          : `138${String(index).padStart(4, "0")}${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
    const password = `pw-${tag}`;
    await sandbox.createAccount(network, login, password);
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: network,
      login,
      secret: password,
    });
    accounts.push({ id: linked.id, network, login });
  }
  return { userId: user.id, accounts };
}

/** A few people at a time: the vendor hashes and checks passwords (scrypt) one at a time. */
async function makePeople(count: number): Promise<TPerson[]> {
  const people: TPerson[] = [];
  for (let index = 0; index < count; index += 3) {
    const batch = [index, index + 1, index + 2].filter((next) => next < count);
    people.push(...(await Promise.all(batch.map(makePerson))));
  }
  return people;
}

/** A worker process serving its own metrics, so its share can be read from it alone. */
async function startWorker(): Promise<{ child: ChildProcess; metricsPort: number }> {
  const metricsPort = await freePort();
  const child = spawnWorkerProcess({
    databaseUrl,
    sandboxUrl: sandbox.url,
    encryptionKey: KEY,
    concurrency: 8,
    settings: {
      WORKER_METRICS_PORT: String(metricsPort),
      METRICS_TOKEN,
      // Far longer than any call here: a lease never runs out and no call times out, so nothing
      // is legitimately sent twice and a replay at the vendor can only be a double claim.
      WORKER_LEASE_MS: "15000",
      CONNECTOR_TIMEOUT_MS: "15000",
    },
  });
  children.add(child);
  return { child, metricsPort };
}

/** A "portal" process saving a new signature for each of these people in turn until stopped. */
function startWriter(userIds: readonly string[]): { child: ChildProcess; saved: () => number } {
  const child = spawnTs("test/save-loop.ts", {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      ONEPROFILE_ENCRYPTION_KEY: KEY,
      SAVE_LOOP_USERS: userIds.join(","),
    } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "ignore"],
  });
  children.add(child);
  let lines = 0;
  child.stdout!.on("data", (chunk: Buffer) => (lines += chunk.toString().split("\n").filter(Boolean).length));
  return { child, saved: () => lines };
}

/** This worker's recorded sync runs that the vendor confirmed, from its own metrics endpoint. */
async function deliveredBy(metricsPort: number): Promise<number> {
  const answer = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  if (!answer.ok) throw new Error(`worker metrics: ${answer.status}`);
  let total = 0;
  for (const line of (await answer.text()).split("\n")) {
    const match = /^oneprofile_deliveries_total\{([^}]*)\} (\d+)$/.exec(line);
    if (match && /outcome="delivered"/.test(match[1]!)) total += Number(match[2]);
  }
  return total;
}

async function replaysOf(network: TSandboxNetworkId, key: string): Promise<number> {
  const answer = await fetch(`${sandbox.url}/__admin/${network}/idempotency/${encodeURIComponent(key)}`);
  const { applications, replays } = (await answer.json()) as { applications: number; replays: number };
  if (applications !== 1) throw new Error(`the vendor has no record of applying ${key}`);
  return replays;
}

async function isQuiet(): Promise<boolean> {
  if (!(await sandbox.quiet()).isQuiet) return false;
  const pending = await db.job.count({ where: { state: { in: ["PENDING", "DEAD"] } } });
  const unprocessed = await db.inboundEvent.count({ where: { processedAt: null } });
  return pending + unprocessed === 0 && (await sandbox.quiet()).isQuiet;
}

/** Quiet, and still quiet half a second of polls later (nothing was about to start). */
async function quiesce(): Promise<void> {
  let quietSince: number | null = null;
  await expect
    .poll(
      async () => {
        if (!(await isQuiet())) quietSince = null;
        else quietSince ??= Date.now();
        return quietSince !== null && Date.now() - quietSince >= 500;
      },
      { timeout: 120_000, interval: 100 },
    )
    .toBe(true);
}

const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);

// The timeouts below are bounds, not expectations: room for `npm test` running other files beside this one.

describe("scale-out", () => {
  it(`two workers and two portal processes drain one backlog: ${USERS} people × ${NETWORKS.length} networks`, async () => {
    const startedAt = Date.now();
    const people = await makePeople(USERS);
    const savingAt = Date.now();
    const since = new Date((await db.$queryRaw<Array<{ now: Date }>>`SELECT now()`)[0]!.now);
    const workers = [await startWorker(), await startWorker()];
    const userIds = people.map((person) => person.userId);
    const writers = [startWriter(userIds), startWriter([...userIds].reverse())];
    // Stopped (SIGTERM, like a portal instance going away) once each has saved its share.
    for (const writer of writers) {
      await expect.poll(writer.saved, { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(USERS * SAVES);
      writer.child.kill("SIGTERM");
      await exited(writer.child);
    }
    const drainingAt = Date.now();
    await quiesce();
    const quietAt = Date.now();

    const problems: string[] = [];
    let applied = 0;
    let replays = 0;
    for (const { userId, accounts } of people) {
      const desired = await currentSnapshot(db, userId);
      for (const { id, network, login } of accounts) {
        const account = await db.linkedAccount.findUniqueOrThrow({ where: { id }, include: { network: true } });
        const expected = expectedSettings(desired.snapshot, account.network);
        const vendor = await sandbox.account(network, login);
        // 1. Convergence.
        for (const field of ["displayName", "signature", "mood", "moodText"] as const) {
          if (expected[field] !== undefined && vendor[field] !== expected[field]) {
            problems.push(`${network} ${login} ${field} shows ${String(vendor[field])}, latest is ${expected[field]}`);
          }
        }
        // 2 and 3, from the vendor's apply log and idempotency records.
        const audit = auditApplyLog((await sandbox.log(network, login)).entries);
        problems.push(...audit.appliedTwice.map((once) => `${network} ${login}: ${once} applied twice`));
        problems.push(...audit.olderAfterNewer.map((what) => `${network} ${login}: older after newer, ${what}`));
        if (vendor.apiWrites !== audit.keys.size) {
          problems.push(`${network} ${login}: ${vendor.apiWrites} applications for ${audit.keys.size} writes`);
        }
        const resent = await Promise.all([...audit.keys].map((key) => replaysOf(network, key)));
        if (resent.some((count) => count > 0)) problems.push(`${network} ${login}: a write was sent again`);
        applied += audit.keys.size;
        replays += resent.reduce((sum, count) => sum + count, 0);
      }
    }

    // Every save's entries ended, one per account.
    const revisions = await db.profileRevision.count({ where: { createdAt: { gte: since } } });
    const deliveries = await db.delivery.groupBy({
      by: ["state"],
      where: { createdAt: { gte: since } },
      _count: true,
    });
    const byState = Object.fromEntries(deliveries.map((group) => [group.state, group._count]));
    const total = deliveries.reduce((sum, group) => sum + group._count, 0);

    // 4. Each worker's share, from its own process.
    const shares = await Promise.all(workers.map(({ metricsPort }) => deliveredBy(metricsPort)));
    const saved = writers.map((writer) => writer.saved());
    console.log(
      `scale-out: ${USERS} people × ${NETWORKS.length} networks, writers saved ${saved.join(" + ")}, ` +
        `${total} deliveries (${JSON.stringify(byState)}), vendor applied ${applied} writes (${replays} resent), ` +
        `workers recorded ${shares.join(" + ")} — ${seconds(startedAt, savingAt)} s linking, ${seconds(savingAt, drainingAt)} s ` +
        `saving, ${seconds(drainingAt, quietAt)} s more to quiet, ${seconds(quietAt, Date.now())} s checking`,
    );
    expect(problems).toEqual([]);
    expect(total).toBe(revisions * NETWORKS.length);
    expect((byState.DELIVERED ?? 0) + (byState.SUPERSEDED ?? 0)).toBe(total);
    expect(
      shares.every((share) => share > 0),
      `each worker's share: ${shares.join(", ")}`,
    ).toBe(true);
    expect(shares[0]! + shares[1]!).toBe(applied);
  }, 300_000);
});
