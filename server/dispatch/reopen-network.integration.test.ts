/**
 * A network switched on again reopens its accounts in chunks, each in a transaction of its own, and
 * goes on from its cursor after a crash: 10,000 accounts here (the bench does 100,000).
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { setNetworkEnabled } from "../registration/networks";
import { reopenAccounts } from "./account-state";
import { READ_ACCOUNT, SYNC_ACCOUNT } from "./queue";
import { REOPEN_FROM_START, reopenNextChunk, reopenSwitchedOnNetworks } from "./reopen-network";

const { db } = await setupTestDb();
const admin = await db.user.create({ data: { email: "admin@example.com", passwordHash: "x", role: "ADMIN" } });

/** `count` people with one account each on `networkId`; every tenth paused, every tenth needing re-auth. */
async function manyAccounts(networkId: string, count: number): Promise<{ active: number }> {
  await db.$executeRaw`
    WITH numbered AS (SELECT n, gen_random_uuid() AS user_id FROM generate_series(1, ${count}::int) n),
    people AS (
      INSERT INTO users (id, email, password_hash, updated_at)
      SELECT user_id, ${networkId} || '-' || n || '@example.com', 'x', now() FROM numbered)
    INSERT INTO linked_accounts (id, user_id, network_id, login, credentials, credentials_key_id, status,
                                 paused_at, verified_at, updated_at)
    SELECT gen_random_uuid(), user_id, ${networkId}, ${networkId} || '-' || n, 'sealed', 'k1',
           (CASE WHEN n % 10 = 3 THEN 'NEEDS_REAUTH' ELSE 'ACTIVE' END)::"AccountStatus",
           CASE WHEN n % 10 = 7 THEN now() END, now(), now()
    FROM numbered`;
  return {
    active: await db.linkedAccount.count({ where: { networkId, status: "ACTIVE", pausedAt: null } }),
  };
}

/** The accounts of `networkId` that have a sync job and a read job pending. */
async function reopened(networkId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM linked_accounts a
    WHERE a.network_id = ${networkId}
      AND EXISTS (SELECT 1 FROM jobs j WHERE j.linked_account_id = a.id AND j.kind = ${SYNC_ACCOUNT} AND j.state = 'PENDING')
      AND EXISTS (SELECT 1 FROM jobs j WHERE j.linked_account_id = a.id AND j.kind = ${READ_ACCOUNT} AND j.state = 'PENDING')`;
  return Number(row!.count);
}

const cursorOf = async (networkId: string) =>
  (await db.network.findUniqueOrThrow({ where: { id: networkId } })).reopenCursor;

describe("switching a network on again", () => {
  it("reopens every active one of its 10,000 accounts, in chunks; paused and signed-out ones stay", async () => {
    const { active } = await manyAccounts("fetion", 10_000);
    expect(active).toBe(8_000);
    await setNetworkEnabled(db, admin.id, "fetion", false);
    await setNetworkEnabled(db, admin.id, "fetion", true);
    // The switch answers after a bounded time; the workers' sweep does the rest.
    await reopenSwitchedOnNetworks(db, { budgetMs: 600_000 });
    expect(await cursorOf("fetion")).toBeNull();
    expect(await reopened("fetion")).toBe(active);
    expect(await db.job.count({ where: { linkedAccount: { networkId: "fetion", pausedAt: { not: null } } } })).toBe(0);
    expect(await db.job.count({ where: { linkedAccount: { networkId: "fetion", status: "NEEDS_REAUTH" } } })).toBe(0);
  }, 600_000);

  it("goes on from its cursor after a crash between chunks, and stops when switched off", async () => {
    const { active } = await manyAccounts("msn", 2_000);
    // As the switch leaves it, before any chunk: then three chunks, and the process dies.
    await db.network.update({ where: { id: "msn" }, data: { reopenCursor: REOPEN_FROM_START } });
    for (let chunk = 0; chunk < 3; chunk++) expect(await reopenNextChunk(db, 300)).toBe(300);
    const cursor = await cursorOf("msn");
    const done = await db.linkedAccount.count({ where: { networkId: "msn", id: { lte: cursor! } } });
    expect(done).toBe(900);
    expect(await reopened("msn")).toBeLessThan(active);
    // Switched off now: nothing more is reopened; switched on: from the start, to the end.
    await setNetworkEnabled(db, admin.id, "msn", false);
    expect(await cursorOf("msn")).toBeNull();
    expect(await reopenNextChunk(db, 300)).toBeNull();
    await setNetworkEnabled(db, admin.id, "msn", true);
    await reopenSwitchedOnNetworks(db, { budgetMs: 600_000, chunkSize: 300 });
    expect(await cursorOf("msn")).toBeNull();
    expect(await reopened("msn")).toBe(active);
  }, 600_000);

  it("skips an account unlinked after its chunk was read (its job would break the foreign key)", async () => {
    const user = await db.user.create({ data: { email: "gone@example.com", passwordHash: "x" } });
    await expect(
      db.$transaction((tx) => reopenAccounts(tx, [{ userId: user.id, accountId: randomUUID() }])),
    ).resolves.toBeUndefined();
    expect(await db.job.count({ where: { userId: user.id } })).toBe(0);
  });
});
