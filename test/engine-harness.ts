/**
 * The engine on real parts, for tests that drive it end to end: a fresh database, the sandbox
 * vendor process with its webhooks (delivered at once, or held and delivered in the order a test
 * chooses), and a worker in this process. Call `setupEngineHarness()` at a test file's top level.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, expect } from "vitest";
import type { TSandboxNetworkId } from "../sandbox/networks";
import { createConnectorResolver, type TConnectorResolver } from "../server/connectors/registry";
import { createKeyring } from "../server/crypto/secrets";
import { createWorker } from "../server/dispatch/worker";
import { receiveWebhook } from "../server/monitor/receive-webhook";
import { fetchHeaders, webhookConnectors } from "../scripts/lib/webhook-receiver";
import { currentSnapshot, updateProfile, type TProfileChanges } from "../server/profile/update";
import { linkAccount } from "../server/registration/link";
import { setNetworkEnabled } from "../server/registration/networks";
import { MAX_ATTEMPTS } from "../server/sync/retry-policy";
import { setupTestDb } from "./database";
import { setupTestSandbox } from "./sandbox";

const WEBHOOK_SECRET = "engine-harness-webhook-secret";
const NETWORKS = ["qq", "msn", "fetion", "facebook"] as const;

export interface THeldEvent {
  networkId: string;
  headers: Headers;
  body: string;
}

export type TAccounts = Record<string, { id: string; login: string; password: string }>;

let counter = 0;
/** A fresh login of each network's shape, so tests never share vendor state. */
export const LOGINS: Record<TSandboxNetworkId, () => string> = {
  qq: () => String(40_000 + Math.floor(Math.random() * 90_000_000)),
  msn: () => `m${++counter}-${randomBytes(3).toString("hex")}@msn.example`,
  fetion: () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`,
  facebook: () => `f${++counter}-${randomBytes(3).toString("hex")}@facebook.example`,
};

export async function setupEngineHarness() {
  const { db, url: databaseUrl } = await setupTestDb();

  // ---- webhooks, delivered at once or held and delivered in the order a test chooses ----
  const webhooks = { isHolding: false, held: [] as THeldEvent[] };
  const deliver = (event: THeldEvent) =>
    receiveWebhook(db, webhookConnectors(WEBHOOK_SECRET), event).then((outcome) => outcome.status);
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const event = {
        networkId: (req.url ?? "").split("/").pop() ?? "",
        headers: fetchHeaders(req.headers),
        body,
      };
      if (webhooks.isHolding) {
        webhooks.held.push(event);
        res.writeHead(202).end();
        return;
      }
      deliver(event)
        .then((status) => res.writeHead(status).end())
        .catch(() => res.writeHead(503).end());
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const sandbox = await setupTestSandbox({ webhookUrl, webhookSecret: WEBHOOK_SECRET, webhookIntervalMs: 20 });
  const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
  const connectors = createConnectorResolver({
    sandbox: { url: sandbox.url, webhookSecret: WEBHOOK_SECRET, timeoutMs: 1000 },
  });
  const worker = createWorker({ db, databaseUrl, connectors, keyring, concurrency: 8, leaseMs: 5_000, retryBaseMs: 5 });
  const admin = await db.user.create({
    data: { email: `admin-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x", role: "ADMIN" },
  });

  afterEach(async () => {
    webhooks.isHolding = false;
    webhooks.held.length = 0;
    await sandbox.clearFaults();
    await sandbox.setWebhooks({});
    for (const network of NETWORKS) await setNetworkEnabled(db, admin.id, network, true);
    for (const network of NETWORKS) await sandbox.setWordFilter(network, []);
  });

  /** Waits until nothing is left to do: no report in flight or unjudged, no job due, every job settled. */
  async function quiesce(userId: string): Promise<void> {
    await expect
      .poll(
        async () => {
          await worker.drain();
          const [quiet, unjudged, pending] = await Promise.all([
            sandbox.quiet(),
            db.inboundEvent.count({ where: { linkedAccount: { userId }, processedAt: null } }),
            db.job.count({ where: { userId, state: "PENDING" } }),
          ]);
          return quiet.isQuiet && unjudged === 0 && pending === 0;
        },
        { timeout: 30_000, interval: 30 },
      )
      .toBe(true);
  }

  /** A person with a profile, and fresh sandbox accounts on the networks, linked and in step. */
  async function personWith(
    networks: TSandboxNetworkId[],
    profile: TProfileChanges = { displayName: "Ada" },
    linkWith: TConnectorResolver = connectors,
  ) {
    const user = await db.user.create({
      data: { email: `s${++counter}-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    await updateProfile(db, { userId: user.id, changes: profile, source: "portal" });
    const accounts: TAccounts = {};
    for (const network of networks) {
      const login = LOGINS[network]();
      const password = `pw-${randomBytes(5).toString("hex")}`;
      await sandbox.createAccount(network, login, password);
      const linked = await linkAccount({ db, connectors: linkWith, keyring }, user.id, {
        networkId: network,
        login,
        secret: password,
      });
      accounts[network] = { id: linked.id, login, password };
    }
    await quiesce(user.id);
    return { userId: user.id, email: user.email, accounts };
  }

  const shown = async (network: TSandboxNetworkId, accounts: TAccounts) =>
    (await sandbox.account(network, accounts[network]!.login)) as unknown as {
      displayName: string;
      signature: string;
      mood: string | null;
      moodText: string;
      version: number;
    };
  const profileOf = async (userId: string) => (await currentSnapshot(db, userId)).snapshot;

  /** Runs `change` with the network's API down until the account's sync job has given up. */
  async function deadLetter(accountId: string, network: TSandboxNetworkId, change: () => Promise<void>) {
    await sandbox.setFaults(network, { isDown: true });
    await change();
    await expect
      .poll(
        async () => {
          await worker.drain();
          return (await db.job.findFirst({ where: { linkedAccountId: accountId, kind: "sync-account" } }))?.state;
        },
        { timeout: 30_000, interval: 20 },
      )
      .toBe("DEAD");
    const job = await db.job.findFirstOrThrow({ where: { linkedAccountId: accountId, kind: "sync-account" } });
    expect(job.attempts).toBe(MAX_ATTEMPTS);
  }

  return {
    db,
    databaseUrl,
    sandbox,
    keyring,
    connectors,
    worker,
    admin,
    webhooks,
    deliver,
    quiesce,
    personWith,
    shown,
    profileOf,
    deadLetter,
  };
}
