/** The Networks page's figures, counted from seeded rows. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { networkHealth } from "./network-health";

const { db } = await setupTestDb();

async function account(
  networkId: string,
  extra: { consecutiveFailures?: number; paused?: boolean; reauth?: boolean } = {},
) {
  const user = await db.user.create({
    data: { email: `h-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  return db.linkedAccount.create({
    data: {
      userId: user.id,
      networkId,
      login: randomBytes(5).toString("hex"),
      credentials: "sealed",
      credentialsKeyId: "k1",
      verifiedAt: new Date(),
      consecutiveFailures: extra.consecutiveFailures ?? 0,
      pausedAt: extra.paused ? new Date() : null,
      status: extra.reauth ? "NEEDS_REAUTH" : "ACTIVE",
    },
  });
}

async function job(
  row: { id: string; userId: string },
  kind: string,
  state: "PENDING" | "DONE" | "DEAD",
  attempts: number,
) {
  await db.job.create({
    data: {
      kind,
      key: `${row.id}-${randomBytes(3).toString("hex")}`,
      userId: row.userId,
      linkedAccountId: row.id,
      state,
      attempts,
    },
  });
}

describe("network health", () => {
  it("counts accounts, failing, paused, re-auth, retrying jobs and quarantined accounts per network", async () => {
    const ok = await account("qq");
    const failing = await account("qq", { consecutiveFailures: 3 });
    await account("qq", { paused: true });
    await account("qq", { reauth: true });
    await account("msn");
    await job(ok, "sync-account", "DONE", 1);
    await job(failing, "sync-account", "PENDING", 2); // retrying
    await job(failing, "inbound-event", "PENDING", 0); // due, not retrying
    await job(failing, "read-account", "DEAD", 8); // quarantined
    await job(failing, "inbound-event", "DEAD", 8); // the same account: counted once

    const health = await networkHealth(db);
    expect(health.get("qq")).toEqual({
      networkId: "qq",
      linkedAccounts: 4,
      failingAccounts: 1,
      pausedAccounts: 1,
      needsReauth: 1,
      retryingJobs: 1,
      quarantinedAccounts: 1,
    });
    expect(health.get("msn")).toMatchObject({ linkedAccounts: 1, failingAccounts: 0, retryingJobs: 0 });
    // A network nobody linked is listed with zeros.
    expect(health.get("fetion")).toMatchObject({ linkedAccounts: 0, quarantinedAccounts: 0 });
  });
});
