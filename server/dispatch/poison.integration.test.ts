/**
 * A poison job ends (invariant 6), on real Postgres and the real worker: a job whose own code
 * throws — not a vendor's answer, a bug or data it cannot handle — is retried with backoff and
 * dead-lettered after the last attempt, and the jobs around it go on. Both cases ran forever
 * (re-claimed every lease) before.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import { createKeyring } from "../crypto/secrets";
import { updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";
import { MAX_ATTEMPTS } from "../sync/retry-policy";
import { UNEXPECTED_ERROR } from "./define-job";
import { enqueueInboundEvent } from "./queue";
import { createWorker, type TWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);
let counter = 0;
// A connector bug: not a ConnectorError, the kind of throw nothing expects.
const connectors = fakeConnectors({
  parseReport: () => {
    throw new TypeError("Cannot read properties of undefined (reading 'profile')");
  },
});

async function linkedUser(accounts: number) {
  const user = await db.user.create({
    data: { email: `p-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  await updateProfile(db, { userId: user.id, changes: { signature: "S0" }, source: "portal" });
  const ids: string[] = [];
  for (let index = 0; index < accounts; index++) {
    const linked = await linkAccount({ db, connectors, keyring }, user.id, {
      networkId: "qq",
      login: String(50_000 + ++counter),
      secret: "pw",
    });
    ids.push(linked.id);
  }
  return { userId: user.id, ids };
}

let running: TWorker | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** Delivers what linking queued, before the case under test. */
const settleLinks = () =>
  createWorker({ db, databaseUrl, connectors, keyring, concurrency: 4, leaseMs: 30_000, retryBaseMs: 5 }).drain();

/** A running worker with short leases and retries, so that eight attempts take a moment. */
async function startWorker() {
  running = createWorker({
    db,
    databaseUrl,
    connectors,
    keyring,
    concurrency: 4,
    leaseMs: 500,
    retryBaseMs: 5,
    pollMs: 20,
  });
  await running.start();
}

const syncJobOf = (accountId: string) =>
  db.job.findFirstOrThrow({ where: { kind: "sync-account", linkedAccountId: accountId } });

describe("a poison job", () => {
  it("whose planning throws is dead-lettered after its attempts, and its batch-mates are delivered", async () => {
    const bad = await linkedUser(1);
    const good = await linkedUser(2);
    await settleLinks();
    // Data the plan cannot read (as a rendition that cannot be made, or a corrupt row would be).
    await db.$executeRaw`UPDATE linked_accounts SET pending_write = '{"bogus": true}'::jsonb WHERE id = ${bad.ids[0]!}::uuid`;
    await updateProfile(db, { userId: bad.userId, changes: { signature: "B1" }, source: "portal" });
    await updateProfile(db, { userId: good.userId, changes: { signature: "G1" }, source: "portal" });
    await startWorker();

    await expect.poll(async () => (await syncJobOf(bad.ids[0]!)).state, { timeout: 30_000 }).toBe("DEAD");
    const dead = await syncJobOf(bad.ids[0]!);
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    expect(dead.lastError).toBe(`Gave up after ${MAX_ATTEMPTS} attempts: ${UNEXPECTED_ERROR}`);
    const badEntry = await db.delivery.findFirstOrThrow({
      where: { linkedAccountId: bad.ids[0]! },
      orderBy: { version: "desc" },
    });
    expect([badEntry.state, badEntry.lastError]).toEqual(["FAILED", dead.lastError]);
    await expect
      .poll(async () => db.delivery.count({ where: { userId: good.userId, state: { not: "DELIVERED" } } }))
      .toBe(0);
  });

  it("whose event handling throws is dead-lettered, the event ends, and the account's deliveries go on", async () => {
    const { userId, ids } = await linkedUser(2);
    await settleLinks();
    await startWorker();
    const event = await db.inboundEvent.create({
      data: {
        networkId: "qq",
        externalId: `e-${randomBytes(4).toString("hex")}`,
        login: "x",
        linkedAccountId: ids[0]!,
        payload: {},
      },
    });
    await enqueueInboundEvent(db, { userId, accountId: ids[0]!, eventId: event.id });
    await updateProfile(db, { userId, changes: { signature: "X1" }, source: "portal" });

    await expect
      .poll(async () => (await db.job.findFirstOrThrow({ where: { kind: "inbound-event", key: event.id } })).state, {
        timeout: 30_000,
      })
      .toBe("DEAD");
    const ended = await db.inboundEvent.findUniqueOrThrow({ where: { id: event.id } });
    expect([ended.outcome, ended.processedAt !== null]).toEqual(["dead", true]);
    // Behind the event, the account's sync runs: every entry is delivered, the account shows X1.
    await expect.poll(async () => db.delivery.count({ where: { userId, state: { not: "DELIVERED" } } })).toBe(0);
  });
});
