/**
 * Batched outcome recording, on real Postgres: one claim takes every account's job, each send
 * ends its own way (delivered, retry, dead letter, refused password), a newer save makes an older
 * entry superseded, one job's lease is taken over meanwhile — and one `recordOutcomes` call
 * settles the whole batch in one transaction, each job and entry as if it had been recorded alone.
 */
import { createClientPool } from "./clients";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import type { TConnectorErrorKind } from "../connectors/types";
import { createKeyring } from "../crypto/secrets";
import { updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";
import { recordOutcomes, type TFinished } from "./define-job";
import { claimJobs } from "./queue";
import { JOB_DEFINITIONS, createWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);

/** How each network answers a write; "ok" applies it. */
const answers = new Map<string, "ok" | TConnectorErrorKind>();
let counter = 0;
const connectors = fakeConnectors({ answerOf: (networkId) => answers.get(networkId) ?? "ok" });
const definitions = new Map(JOB_DEFINITIONS.map((definition) => [definition.kind, definition]));

const LOGINS = {
  qq: (n: number) => String(10_000 + n),
  msn: (n: number) => `b${n}@msn.example`,
  fetion: (n: number) => `139${String(n).padStart(8, "0")}`,
  facebook: (n: number) => `b${n}@facebook.example`,
};

async function linkedUser<TNetwork extends string>(networks: readonly TNetwork[]) {
  const user = await db.user.create({
    data: { email: `b-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { signature: "S0" }, source: "portal" });
  const ids = {} as Record<TNetwork, string>;
  for (const networkId of networks) {
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId,
      login: LOGINS[networkId as keyof typeof LOGINS](++counter),
      secret: "pw",
    });
    ids[networkId] = linked.id;
  }
  return { userId: user.id, ids };
}

describe("recordOutcomes", () => {
  it("settles a batch mixing delivered, superseded, retry, dead letter, refused password and a lost lease", async () => {
    const first = await linkedUser(["qq", "msn", "fetion", "facebook"]);
    const second = await linkedUser(["qq"]);
    // Every link sent the current profile: in step before the batch under test.
    const worker = createWorker({
      db,
      databaseUrl,
      connectors,
      keyring,
      concurrency: 4,
      leaseMs: 10_000,
      retryBaseMs: 50,
    });
    await worker.drain();
    expect(await db.delivery.count({ where: { state: { not: "DELIVERED" } } })).toBe(0);

    answers.set("msn", "transient");
    answers.set("fetion", "permanent");
    answers.set("facebook", "auth");
    // Two saves before any run: each account owes S2, and S1's entry is overtaken by it.
    const s1 = await updateProfile(db, { userId: first.userId, changes: { signature: "S1" }, source: "portal" });
    const s2 = await updateProfile(db, { userId: first.userId, changes: { signature: "S2" }, source: "portal" });
    const t1 = await updateProfile(db, { userId: second.userId, changes: { signature: "T1" }, source: "portal" });
    const underTest = [s1!.revisionId, s2!.revisionId, t1!.revisionId];

    const jobs = await claimJobs(db, 30_000, 100);
    expect(jobs.map((job) => job.linkedAccountId).sort()).toEqual([...Object.values(first.ids), second.ids.qq].sort());
    const syncJob = definitions.get("sync-account")!;
    const tasks = await syncJob.plan(
      { db, connectors, keyring, retryBaseMs: 50, clients: createClientPool({ db, connectors, keyring }) },
      jobs,
    );
    const finished: TFinished[] = [];
    for (const job of jobs) finished.push({ job, outcome: await tasks.get(job.id)!(new AbortController().signal) });
    // Another worker took the second person's account over (its lease ran out): it records nothing.
    const stolen = randomUUID();
    await db.linkedAccount.update({ where: { id: second.ids.qq }, data: { leaseToken: stolen } });

    const recorded = await recordOutcomes(db, (kind) => definitions.get(kind), finished);

    expect(recorded.map(({ job }) => job.linkedAccountId).sort()).toEqual(Object.values(first.ids).sort());
    const entries = async (accountId: string) =>
      (
        await db.delivery.findMany({
          where: { linkedAccountId: accountId, revisionId: { in: underTest } },
          orderBy: { version: "asc" },
        })
      ).map(({ version, state, attempts, lastError, deliveredAt, nextAttemptAt }) => ({
        version,
        state,
        attempts,
        lastError,
        deliveredAt,
        nextAttemptAt,
      }));
    const jobOf = (accountId: string) =>
      db.job.findFirstOrThrow({ where: { linkedAccountId: accountId, kind: "sync-account" } });
    const account = (accountId: string) => db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } });

    // Delivered: S2 arrived, S1's entry is superseded by it; the job is done; the account shows S2.
    const qq = await entries(first.ids.qq);
    expect(qq.map(({ version, state }) => [version, state])).toEqual([
      [s1!.version, "SUPERSEDED"],
      [s2!.version, "DELIVERED"],
    ]);
    expect(qq[1]!.deliveredAt).not.toBeNull();
    expect((await jobOf(first.ids.qq)).state).toBe("DONE");
    const qqAccount = await account(first.ids.qq);
    expect(qqAccount.pendingWrite).toBeNull();
    expect((qqAccount.observed as { signature: { v: number } }).signature.v).toBe(s2!.fieldVersions.signature);
    expect(qqAccount.consecutiveFailures).toBe(0);

    // Retry: both entries wait for the next attempt; the job is due again later, attempts kept.
    const msn = await entries(first.ids.msn);
    expect(msn.map(({ state, attempts }) => [state, attempts])).toEqual([
      ["RETRYING", 1],
      ["RETRYING", 1],
    ]);
    expect(msn[0]!.lastError).toContain("transient");
    expect(msn[0]!.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    const msnJob = await jobOf(first.ids.msn);
    expect([msnJob.state, msnJob.attempts]).toEqual(["PENDING", 1]);
    expect(msnJob.runAt.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect((await account(first.ids.msn)).consecutiveFailures).toBe(1);

    // Dead letter: a permanent refusal ends the job with its reason, the entries say why.
    const fetion = await entries(first.ids.fetion);
    expect(fetion.map(({ state }) => state)).toEqual(["FAILED", "FAILED"]);
    expect(fetion[0]!.lastError).toMatch(/^Gave up after 1 attempt: fetion answered permanent/);
    const fetionJob = await jobOf(first.ids.fetion);
    expect(fetionJob.state).toBe("DEAD");
    expect(fetionJob.lastError).toBe(fetion[0]!.lastError);

    // Refused password: dead-lettered and the account needs re-linking.
    const facebook = await entries(first.ids.facebook);
    expect(facebook.map(({ state }) => state)).toEqual(["FAILED", "FAILED"]);
    expect(facebook[0]!.lastError).toContain("no longer accepts the saved password");
    expect((await account(first.ids.facebook)).status).toBe("NEEDS_REAUTH");
    expect((await jobOf(first.ids.facebook)).state).toBe("DEAD");

    // Every recorded account's lease is released; the stolen one stays with its new holder, and
    // its job and entry are as the claim left them (that holder records them).
    for (const id of Object.values(first.ids)) expect((await account(id)).leaseToken).toBeNull();
    const stolenAccount = await account(second.ids.qq);
    expect(stolenAccount.leaseToken).toBe(stolen);
    expect(stolenAccount.pendingWrite).not.toBeNull();
    const stolenJob = await jobOf(second.ids.qq);
    expect([stolenJob.state, stolenJob.leaseToken]).toEqual([
      "PENDING",
      jobs.find((job) => job.linkedAccountId === second.ids.qq)!.leaseToken,
    ]);
    expect((await entries(second.ids.qq)).map(({ state }) => state)).toEqual(["SENDING"]);

    await worker.stop();
  });
});
