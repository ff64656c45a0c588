/** The worker's metrics hooks on real parts: a run against the sandbox vendor moves the counters. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { setupTestSandbox } from "../../test/sandbox";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { metrics } from "../metrics";
import { updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";
import { countRecorded } from "./delivery-metrics";
import { createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const sandbox = await setupTestSandbox();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
const connectors = createConnectorResolver({
  sandbox: { url: sandbox.url, webhookSecret: "unused-webhook-secret", timeoutMs: 2_000 },
});
const worker = createWorker({
  db,
  databaseUrl,
  connectors,
  keyring,
  concurrency: 2,
  leaseMs: 5_000,
  retryBaseMs: 20,
  onRecorded: countRecorded,
});

async function delivered(network: string): Promise<number> {
  const { values } = await metrics.deliveries.get();
  return values.find((v) => v.labels.network === network && v.labels.outcome === "delivered")?.value ?? 0;
}
async function vendorCalls(network: string): Promise<number> {
  const { values } = await metrics.vendorAttemptSeconds.get();
  return (
    values.find((v) => v.metricName === "oneprofile_vendor_attempt_seconds_count" && v.labels.network === network)
      ?.value ?? 0
  );
}

describe("worker metrics", () => {
  it("counts a recorded delivery and times its vendor call, labelled with the account's network", async () => {
    const user = await db.user.create({
      data: { email: `dm-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    await updateProfile(db, { userId: user.id, changes: { signature: "hello" }, source: "portal" });
    const login = `m-${randomBytes(3).toString("hex")}@msn.example`;
    const password = `pw-${randomBytes(5).toString("hex")}`;
    await sandbox.createAccount("msn", login, password);
    const [deliveredBefore, callsBefore] = [await delivered("msn"), await vendorCalls("msn")];

    await linkAccount({ db, connectors, keyring }, user.id, { networkId: "msn", login, secret: password });
    await worker.drain();

    expect(await db.delivery.count({ where: { userId: user.id, state: "DELIVERED" } })).toBeGreaterThan(0);
    expect(await delivered("msn")).toBeGreaterThan(deliveredBefore);
    expect(await vendorCalls("msn")).toBeGreaterThan(callsBefore);
  });
});
