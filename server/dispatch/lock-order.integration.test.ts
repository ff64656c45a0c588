/**
 * Lock order (server/dispatch/define-job.ts) under contention, on real Postgres: a third
 * connection holds a row so that two transactions queue up behind it in the worst order; once it
 * lets go, both must finish (no `deadlock detected`). Each case failed before its fix.
 */
import { createClientPool } from "./clients";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import { createKeyring } from "../crypto/secrets";
import { updateProfile } from "../profile/update";
import { unlinkAccount } from "../registration/accounts";
import { linkAccount, relinkAccount } from "../registration/link";
import { recordOutcomes, type TFinished } from "./define-job";
import { claimJobs, markDirty, requestReadBack, reviveQuarantined, scheduleReadBacks } from "./queue";
import { JOB_DEFINITIONS, createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
let counter = 0;
const connectors = fakeConnectors();
const definitions = new Map(JOB_DEFINITIONS.map((definition) => [definition.kind, definition]));
const deps = { db, connectors, keyring, retryBaseMs: 50, clients: createClientPool({ db, connectors, keyring }) };

async function linkedUser(accounts: number) {
  const user = await db.user.create({
    data: { email: `l-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { signature: "S0" }, source: "portal" });
  const ids: string[] = [];
  for (let index = 0; index < accounts; index++) {
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: "qq",
      login: String(30_000 + ++counter),
      secret: "pw",
    });
    ids.push(linked.id);
  }
  await createWorker({
    db,
    databaseUrl,
    connectors,
    keyring,
    concurrency: 2,
    leaseMs: 30_000,
    retryBaseMs: 50,
  }).drain();
  return { userId: user.id, ids };
}

/** Sessions of this database waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ count: bigint }>>`
    SELECT count(*) AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return Number(row?.count ?? 0);
}

/** A finished run of the account's sync job, claimed and planned, not yet recorded. */
async function finishedRun(userId: string, accountId: string): Promise<TFinished[]> {
  await markDirty(db, [{ userId, accountId }]);
  const jobs = await claimJobs(db, 30_000, 10);
  expect(jobs.map((job) => job.linkedAccountId)).toEqual([accountId]);
  const tasks = await definitions.get("sync-account")!.plan(deps, jobs);
  return [{ job: jobs[0]!, outcome: await tasks.get(jobs[0]!.id)!(new AbortController().signal) }];
}

/**
 * Holds `lock` (a statement locking one row) in a third connection, starts `first` and waits until
 * it queues behind it, then `second` (waiting until it queues too, when it can wait at all), then
 * lets go. Returns how each ended.
 */
async function queuedBehind(
  lock: { sql: string; value: string },
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
  secondWaits = true,
) {
  const blocker = new pg.Client({ connectionString: databaseUrl });
  await blocker.connect();
  try {
    await blocker.query("BEGIN");
    await blocker.query(lock.sql, [lock.value]);
    const one = first();
    await expect.poll(lockWaiters).toBe(1);
    const two = second();
    if (secondWaits) await expect.poll(lockWaiters).toBe(2);
    await blocker.query("COMMIT");
    return (await Promise.allSettled([one, two])).map((result) =>
      result.status === "fulfilled" ? "ok" : (result.reason as Error).message,
    );
  } finally {
    await blocker.end();
  }
}

const ACCOUNT_ROW = "SELECT id FROM linked_accounts WHERE id = $1 FOR NO KEY UPDATE";

describe("lock order", () => {
  it("a re-link and the recorder of the same account's run both finish", async () => {
    const { userId, ids } = await linkedUser(1);
    const finished = await finishedRun(userId, ids[0]!);
    const results = await queuedBehind(
      { sql: ACCOUNT_ROW, value: ids[0]! },
      () => relinkAccount({ db, connectors, keyring }, userId, ids[0]!, "pw2"),
      () => recordOutcomes(db, (kind) => definitions.get(kind), finished),
    );
    expect(results).toEqual(["ok", "ok"]);
  });

  it("an unlink and the recorder of the same account's run both finish", async () => {
    const { userId, ids } = await linkedUser(1);
    const finished = await finishedRun(userId, ids[0]!);
    const results = await queuedBehind(
      { sql: ACCOUNT_ROW, value: ids[0]! },
      () => unlinkAccount(db, userId, ids[0]!),
      () => recordOutcomes(db, (kind) => definitions.get(kind), finished),
    );
    expect(results).toEqual(["ok", "ok"]);
    expect(await db.linkedAccount.count({ where: { id: ids[0]! } })).toBe(0);
  });

  // Seed 551897907 of the long model run: "qq restored 6 versions back", then "unlink qq".
  it("an unlink and a delivery's recorder asking for a read-back of its account both finish", async () => {
    const { userId, ids } = await linkedUser(1);
    const accountId = ids[0]!;
    await requestReadBack(db, [{ userId, accountId }]);
    // The read job's id sorts before the sync job's: id order is not the order the markers use.
    await db.$executeRaw`
      UPDATE jobs SET id = CASE kind WHEN 'read-account' THEN '00000000-0000-4000-8000-000000000001'::uuid
                                     ELSE 'ffffffff-ffff-4fff-bfff-fffffffffff1'::uuid END
      WHERE linked_account_id = ${accountId}::uuid AND kind IN ('read-account', 'sync-account')`;
    // The recorder of the account's delivery (a sync-only batch takes no person's lock): it holds its
    // sync job, then finds the vendor went back in time and asks for a read-back (requestReadBack).
    const recorder = new pg.Client({ connectionString: databaseUrl });
    await recorder.connect();
    try {
      await recorder.query("BEGIN");
      await recorder.query(
        "SELECT id FROM jobs WHERE kind = 'sync-account' AND linked_account_id = $1 FOR NO KEY UPDATE",
        [accountId],
      );
      const unlinked = unlinkAccount(db, userId, accountId).then(
        () => "ok",
        (error: Error) => error.message,
      );
      await expect.poll(lockWaiters).toBe(1);
      // Before: the unlink held the read job (first by id) and waited for the sync job: deadlock.
      const asked = await recorder
        .query("UPDATE jobs SET dirty_seq = dirty_seq + 1 WHERE kind = 'read-account' AND linked_account_id = $1", [
          accountId,
        ])
        .then(
          () => "ok",
          (error: Error) => error.message,
        );
      await recorder.query(asked === "ok" ? "COMMIT" : "ROLLBACK");
      expect([asked, await unlinked]).toEqual(["ok", "ok"]);
    } finally {
      await recorder.end();
    }
    expect(await db.linkedAccount.count({ where: { id: accountId } })).toBe(0);
  });

  it("a recorder whose lease ran out while it waited for the account records nothing", async () => {
    const { userId, ids } = await linkedUser(1);
    const accountId = ids[0]!;
    const finished = await finishedRun(userId, accountId);
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(ACCOUNT_ROW, [accountId]);
      const recording = recordOutcomes(db, (kind) => definitions.get(kind), finished);
      await expect.poll(lockWaiters).toBe(1);
      // Meanwhile the lease ran out and another worker's claim took the account.
      await blocker.query(
        "UPDATE linked_accounts SET lease_token = gen_random_uuid(), lease_until = now() + interval '30 seconds' WHERE id = $1",
        [accountId],
      );
      await blocker.query("COMMIT");
      // Before: it recorded under a lease no longer its own (and, asking for a read-back, could wait
      // for the read job the new holder's recorder held while that one waited for this account).
      expect(await recording).toEqual([]);
    } finally {
      await blocker.end();
    }
    const job = await db.job.findUniqueOrThrow({ where: { id: finished[0]!.job.id } });
    expect(job).toMatchObject({ state: "PENDING", leaseToken: finished[0]!.job.leaseToken });
  });

  it("the reconcile sweep never waits for a save's job rows, and the save finishes", async () => {
    const { userId, ids } = await linkedUser(3);
    // Dead-lettered long ago, in the opposite order to the accounts' (rows stored last first).
    const sorted = [...ids].sort();
    for (const accountId of [...sorted].reverse()) {
      await db.$executeRaw`
        UPDATE jobs SET state = 'DEAD', quarantines = 1, finished_at = now() - interval '2 days'
        WHERE kind = 'sync-account' AND linked_account_id = ${accountId}::uuid`;
    }
    const middle = await db.job.findFirstOrThrow({ where: { kind: "sync-account", linkedAccountId: sorted[1]! } });
    const results = await queuedBehind(
      { sql: "SELECT id FROM jobs WHERE id = $1 FOR NO KEY UPDATE", value: middle.id },
      () => updateProfile(db, { userId, changes: { signature: "Z9" }, source: "portal" }),
      () => reviveQuarantined(db, { baseMs: 1000, maxMs: 1000 }),
      false,
    );
    expect(results).toEqual(["ok", "ok"]);
    // Every job is due again: revived by the sweep or marked dirty by the save.
    expect(
      await db.job.count({ where: { kind: "sync-account", linkedAccountId: { in: ids }, state: "PENDING" } }),
    ).toBe(3);
  });

  it("the sweep's read-back requests never wait for a read job a recorder holds", async () => {
    const { userId, ids } = await linkedUser(2);
    await requestReadBack(
      db,
      ids.map((accountId) => ({ userId, accountId })),
    );
    await db.job.updateMany({ where: { kind: "read-account", linkedAccountId: { in: ids } }, data: { state: "DONE" } });
    const [held] = await db.job.findMany({ where: { kind: "read-account", linkedAccountId: ids[0] } });
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM jobs WHERE id = $1 FOR NO KEY UPDATE", [held!.id]);
      // Before: the sweep's upsert waited here behind the held row (and could close a circle).
      expect(
        await scheduleReadBacks(db, { everyMsOf: new Map([["qq", 60_000]]), maxEveryMs: 1, limit: 10 }),
      ).toBeGreaterThanOrEqual(2);
      expect(await lockWaiters()).toBe(0);
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    // The one skipped stays as it was; the other is due again.
    const states = await db.job.findMany({ where: { kind: "read-account", linkedAccountId: { in: ids } } });
    expect(states.find((job) => job.id === held!.id)?.state).toBe("DONE");
    expect(states.filter((job) => job.state === "PENDING")).toHaveLength(1);
  });
});
