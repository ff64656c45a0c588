/**
 * The metric rollup's writer on real Postgres: the failure log's trigger, what a run counts, that a
 * second run (or two at once) changes nothing, which minutes it recomputes and which it leaves as
 * history, the fill-in after an outage, the queue sample, cleanup after 30 days, and a real
 * delivery that failed once then went through, counted end to end through a worker and the sandbox.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setupTestDb } from "../../test/database";
import { setupTestSandbox } from "../../test/sandbox";
import { createConnectorResolver } from "../connectors/registry";
import { createKeyring } from "../crypto/secrets";
import { Prisma } from "../generated/prisma/client";
import { updateProfile } from "../profile/update";
import { linkAccount } from "../registration/link";
import { cleanupStatements, runCleanup } from "./jobs/cleanup";
import { BACKFILL_MINUTES, metricMinutesJob, SETTLE_MINUTES, writeMetricMinutes } from "./jobs/metric-minutes";
import { createWorker, type TWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const sandbox = await setupTestSandbox();
const keyring = createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined);

/** The start of the minute `offset` minutes from the database's current one (negative: past). */
async function minute(offset: number): Promise<Date> {
  const [row] = await db.$queryRaw<Array<{ at: Date }>>`
    SELECT date_bin('1 minute', now(), TIMESTAMPTZ '2000-01-01 00:00:00+00') + make_interval(mins => ${offset}) AS at`;
  return row!.at;
}
/**
 * Runs `body` again if the database's minute changed while it ran, so what it computed and the
 * minutes the test expects belong to one current minute (the writer's window moves with it).
 */
async function inOneMinute<T>(body: () => Promise<T>): Promise<T> {
  for (;;) {
    const before = (await minute(0)).getTime();
    const result = await body();
    if ((await minute(0)).getTime() === before) return result;
  }
}
const at = (date: Date, seconds = 0) => new Date(date.getTime() + seconds * 1000);
const iso = (date: Date) => Prisma.sql`${date.toISOString()}::timestamptz`;

async function seedAccount(networkId: "qq" | "msn") {
  const user = await db.user.create({
    data: { email: `mm-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const account = await db.linkedAccount.create({
    data: {
      userId: user.id,
      networkId,
      login: `${networkId}-${randomBytes(4).toString("hex")}`,
      credentials: "sealed",
      credentialsKeyId: "k1",
      verifiedAt: new Date(),
    },
  });
  const revision = await db.profileRevision.create({
    data: { userId: user.id, version: 1, source: "portal", changedFields: ["signature"] },
  });
  return { userId: user.id, accountId: account.id, revisionId: revision.id, networkId };
}

type TSeeded = Awaited<ReturnType<typeof seedAccount>>;

async function seedDelivery(owner: TSeeded, state: "QUEUED" | "SENDING" = "SENDING") {
  return db.delivery.create({
    data: {
      revisionId: owner.revisionId,
      userId: owner.userId,
      linkedAccountId: owner.accountId,
      networkId: owner.networkId,
      version: 1,
      state,
      fields: ["signature"],
      settings: {},
    },
  });
}

/** A delivery delivered at `when` (as the recorder writes it: updated_at with it). */
async function seedDelivered(owner: TSeeded, when: Date) {
  const row = await seedDelivery(owner);
  await db.$executeRaw`
    UPDATE deliveries SET state = 'DELIVERED', delivered_at = ${iso(when)}, updated_at = ${iso(when)}
    WHERE id = ${row.id}::uuid`;
}

async function seedFailure(networkId: string, isFinal: boolean, when: Date) {
  await db.$executeRaw`
    INSERT INTO delivery_failures (network_id, is_final, failed_at) VALUES (${networkId}, ${isFinal}, ${iso(when)})`;
}

async function seedInbound(owner: TSeeded, when: Date) {
  await db.$executeRaw`
    INSERT INTO inbound_events (id, network_id, external_id, login, payload, received_at)
    VALUES (gen_random_uuid(), ${owner.networkId}, ${randomBytes(8).toString("hex")}, 'x', '{}', ${iso(when)})`;
}

async function rollup() {
  const rows = await db.metricMinute.findMany({ orderBy: [{ minute: "asc" }, { networkId: "asc" }] });
  return rows.map(({ minute, ...rest }) => ({ minute: minute.toISOString(), ...rest }));
}

async function clear() {
  await db.$executeRaw`TRUNCATE metric_minutes, metric_samples, delivery_failures, inbound_events, jobs, deliveries`;
}

let running: TWorker | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
  await clear();
});

describe("the failure log's trigger", () => {
  it("logs a delivery put back for another try or failed for good, once per change, and nothing else", async () => {
    const owner = await seedAccount("msn");
    const delivery = await seedDelivery(owner);
    const setState = (state: string) =>
      db.$executeRaw`UPDATE deliveries SET state = ${state}::"DeliveryState" WHERE id = ${delivery.id}::uuid`;

    await setState("RETRYING");
    // The same state again (a run that failed before sending) is no new failure.
    await setState("RETRYING");
    await setState("SENDING");
    await setState("FAILED");
    await setState("DELIVERED");
    await db.$executeRaw`UPDATE deliveries SET last_error = 'x' WHERE id = ${delivery.id}::uuid`;

    const logged = await db.deliveryFailure.findMany({ orderBy: { id: "asc" } });
    expect(logged.map(({ networkId, isFinal }) => ({ networkId, isFinal }))).toEqual([
      { networkId: "msn", isFinal: false },
      { networkId: "msn", isFinal: true },
    ]);
  });
});

describe("a rollup run", () => {
  it("counts each minute and network from the source tables, and a second run changes nothing", async () => {
    const qq = await seedAccount("qq");
    const msn = await seedAccount("msn");
    const [twoAgo, oneAgo] = [await minute(-2), await minute(-1)];
    await seedDelivered(qq, at(twoAgo, 5));
    await seedDelivered(qq, at(twoAgo, 59));
    await seedDelivered(msn, at(oneAgo, 1));
    await seedFailure("qq", false, at(twoAgo, 30));
    await seedFailure("qq", false, at(twoAgo, 31));
    await seedFailure("qq", true, at(twoAgo, 40));
    await seedInbound(msn, at(twoAgo, 10));
    await seedInbound(msn, at(oneAgo, 10));
    // Not delivered: counts nowhere.
    await seedDelivery(qq);

    const first = await writeMetricMinutes(db);
    const expected = [
      { minute: twoAgo.toISOString(), networkId: "msn", delivered: 0, failed: 0, retried: 0, inbound: 1 },
      { minute: twoAgo.toISOString(), networkId: "qq", delivered: 2, failed: 1, retried: 2, inbound: 0 },
      { minute: oneAgo.toISOString(), networkId: "msn", delivered: 1, failed: 0, retried: 0, inbound: 1 },
    ];
    expect(await rollup()).toEqual(expected);
    expect(first.rows).toBe(3);

    const second = await writeMetricMinutes(db);
    expect(second.rows).toBe(0);
    expect(await rollup()).toEqual(expected);
  });

  it("gives the same rows when two workers run it at once", async () => {
    const qq = await seedAccount("qq");
    const oneAgo = await minute(-1);
    for (let index = 0; index < 5; index++) await seedDelivered(qq, at(oneAgo, index));
    await seedFailure("qq", true, at(oneAgo, 30));

    await Promise.all([writeMetricMinutes(db), writeMetricMinutes(db), writeMetricMinutes(db)]);

    expect(await rollup()).toEqual([
      { minute: oneAgo.toISOString(), networkId: "qq", delivered: 5, failed: 1, retried: 0, inbound: 0 },
    ]);
  });

  it("recomputes the settle window (a late commit counts, a vanished row goes) and leaves older minutes as history", async () => {
    const qq = await seedAccount("qq");
    const [old, recent] = [await minute(-(SETTLE_MINUTES + 10)), await minute(-2)];
    // A worker ran the rollup a minute ago: this run recomputes the settle window only.
    await db.metricSample.create({ data: { minute: await minute(-1) } });
    // History the source tables no longer show (its deliveries cleaned up, say): kept as written.
    await db.metricMinute.create({ data: { minute: old, networkId: "qq", delivered: 7 } });
    // A recent count with nothing behind it any more (its person deleted): recomputed away.
    await db.metricMinute.create({ data: { minute: recent, networkId: "msn", delivered: 3 } });
    await writeMetricMinutes(db);
    expect(await rollup()).toEqual([
      { minute: old.toISOString(), networkId: "qq", delivered: 7, failed: 0, retried: 0, inbound: 0 },
    ]);

    // A delivery whose transaction began in a minute already written, committed only now.
    await seedDelivered(qq, at(recent, 58));
    await writeMetricMinutes(db);
    expect(await rollup()).toEqual([
      { minute: old.toISOString(), networkId: "qq", delivered: 7, failed: 0, retried: 0, inbound: 0 },
      { minute: recent.toISOString(), networkId: "qq", delivered: 1, failed: 0, retried: 0, inbound: 0 },
    ]);
  });

  it("marks every minute it computed as covered and fills in the minutes of an outage", async () => {
    const qq = await seedAccount("qq");
    const lastRun = await minute(-40);
    await db.metricSample.create({ data: { minute: lastRun, queueDepth: 4, oldestDueMs: 10n } });
    const during = await minute(-25);
    await seedDelivered(qq, at(during, 3));

    const { report, samples, now } = await inOneMinute(async () => ({
      report: await writeMetricMinutes(db),
      samples: await db.metricSample.findMany({ orderBy: { minute: "asc" } }),
      now: await minute(0),
    }));

    expect(report.from).toEqual(lastRun);
    // From the last run's minute to the current one, each once; only those two were sampled.
    expect(samples.map((row) => row.minute.getTime())).toEqual(
      Array.from({ length: 41 }, (_, index) => lastRun.getTime() + index * 60_000).filter((t) => t <= now.getTime()),
    );
    expect(samples.filter((row) => row.queueDepth !== null).map((row) => row.minute)).toEqual([lastRun, now]);
    expect(samples[0]).toMatchObject({ queueDepth: 4, oldestDueMs: 10n });
    expect(await rollup()).toEqual([
      { minute: during.toISOString(), networkId: "qq", delivered: 1, failed: 0, retried: 0, inbound: 0 },
    ]);
  });

  it("fills in at most BACKFILL_MINUTES after a long outage, or on its first run", async () => {
    const { report, first } = await inOneMinute(async () => {
      await clear();
      return { report: await writeMetricMinutes(db), first: await minute(-BACKFILL_MINUTES) };
    });
    expect(report.from).toEqual(first);
    expect(await db.metricSample.count()).toBe(BACKFILL_MINUTES + 1);
  });

  it("samples the due queue into the current minute, keeping the deepest and longest seen", async () => {
    const owner = await seedAccount("qq");
    const job = (key: string, runAt: Prisma.Sql) => db.$executeRaw`
      INSERT INTO jobs (id, kind, key, user_id, linked_account_id, run_at, updated_at)
      VALUES (gen_random_uuid(), 'inbound-event', ${key}, ${owner.userId}::uuid, ${owner.accountId}::uuid, ${runAt}, now())`;
    await job("a", Prisma.sql`now() - interval '90 seconds'`);
    await job("b", Prisma.sql`now() - interval '1 second'`);
    // Not due yet: not in the queue's depth.
    await job("c", Prisma.sql`now() + interval '1 hour'`);

    const first = await writeMetricMinutes(db);
    expect(first.queueDepth).toBe(2);
    expect(first.oldestDueMs).toBeGreaterThanOrEqual(90_000);
    expect(first.oldestDueMs).toBeLessThan(120_000);
    const sampled = await db.metricSample.findMany({ where: { queueDepth: { not: null } } });
    expect(sampled).toEqual([expect.objectContaining({ queueDepth: 2, oldestDueMs: BigInt(first.oldestDueMs) })]);

    // The queue drains: the minute keeps its worst (the next minute shows the drained queue).
    await db.$executeRaw`UPDATE jobs SET state = 'DONE'`;
    const { second, now } = await inOneMinute(async () => {
      await db.metricSample.upsert({
        where: { minute: await minute(0) },
        create: { minute: await minute(0), queueDepth: 9, oldestDueMs: 5_000_000n },
        update: { queueDepth: 9, oldestDueMs: 5_000_000n },
      });
      return { second: await writeMetricMinutes(db), now: await minute(0) };
    });
    expect(second).toMatchObject({ queueDepth: 0, oldestDueMs: 0 });
    expect(await db.metricSample.findUniqueOrThrow({ where: { minute: now } })).toMatchObject({
      queueDepth: 9,
      oldestDueMs: 5_000_000n,
    });
  });
});

describe("the worker", () => {
  it("runs the rollup on its schedule", async () => {
    const job = metricMinutesJob({ firstAfterMs: 0, everyMs: 60_000 });
    running = createWorker({
      db,
      databaseUrl,
      connectors: () => null,
      keyring,
      concurrency: 1,
      leaseMs: 5_000,
      retryBaseMs: 20,
      scheduled: [job],
    });
    await running.start();
    await vi.waitFor(async () => expect(await db.metricSample.count()).toBeGreaterThan(0), { timeout: 10_000 });
  });
});

describe("cleanup", () => {
  it("removes rollup minutes past 30 days and the failure log past a day, and keeps the rest", async () => {
    const minuteAgo = (interval: string) =>
      Prisma.sql`date_bin('1 minute', now() - ${interval}::interval, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
    const seeded: Array<{ age: string; minute: Date }> = [];
    for (const [age, networkId] of [
      ["31 days", "qq"],
      ["31 days", "msn"],
      ["30 days 1 minute", "qq"],
      ["29 days 23 hours", "qq"],
      ["1 minute", "qq"],
    ] as const) {
      const [row] = await db.$queryRaw<Array<{ minute: Date }>>`
        INSERT INTO metric_minutes (minute, network_id, delivered) VALUES (${minuteAgo(age)}, ${networkId}, 1)
        RETURNING minute`;
      seeded.push({ age, minute: row!.minute });
      await db.$executeRaw`INSERT INTO metric_samples (minute) VALUES (${minuteAgo(age)}) ON CONFLICT DO NOTHING`;
    }
    for (const age of ["25 hours", "23 hours", "1 minute"]) {
      await db.$executeRaw`
        INSERT INTO delivery_failures (network_id, is_final, failed_at) VALUES ('qq', false, now() - ${age}::interval)`;
    }

    const report = await runCleanup(db, { deliveryRetentionDays: 90, batchSize: 1 });

    expect(report).toMatchObject({ metricMinutes: 3, metricSamples: 2, deliveryFailures: 1 });
    const keptMinutes = seeded.filter(({ age }) => age === "29 days 23 hours" || age === "1 minute");
    expect((await db.metricMinute.findMany({ orderBy: { minute: "asc" } })).map((row) => row.minute)).toEqual(
      keptMinutes.map((row) => row.minute),
    );
    expect((await db.metricSample.findMany({ orderBy: { minute: "asc" } })).map((row) => row.minute)).toEqual(
      keptMinutes.map((row) => row.minute),
    );
    expect(await db.deliveryFailure.count()).toBe(2);
  });

  it("walks an index in each of its rollup statements", async () => {
    const statements = cleanupStatements({ deliveryRetentionDays: 90 });
    const plans: Array<[string, Prisma.Sql, string]> = [
      ["metricMinutes", statements.metricMinutes(1000), "metric_minutes_pkey"],
      ["metricSamples", statements.metricSamples(1000), "metric_samples_pkey"],
      ["deliveryFailures", statements.deliveryFailures(1000), "delivery_failures_failed_at_idx"],
    ];
    for (const [name, statement, index] of plans) {
      const plan = await db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
        const [row] = await tx.$queryRaw<Array<{ "QUERY PLAN": unknown }>>(
          Prisma.sql`EXPLAIN (FORMAT JSON) ${statement}`,
        );
        return JSON.stringify(row!["QUERY PLAN"]);
      });
      expect({ name, hasSeqScan: plan.includes('"Seq Scan"') }).toEqual({ name, hasSeqScan: false });
      expect({ name, plan }).toEqual({ name, plan: expect.stringContaining(`"${index}"`) });
    }
  });
});

describe("end to end", () => {
  const connectors = createConnectorResolver({
    sandbox: { url: sandbox.url, webhookSecret: "unused-webhook-secret", timeoutMs: 2_000 },
  });

  it("counts a delivery that failed once, then went through, in the minutes it happened", async () => {
    const worker = createWorker({
      db,
      databaseUrl,
      connectors,
      keyring,
      concurrency: 2,
      leaseMs: 5_000,
      retryBaseMs: 20,
    });
    const user = await db.user.create({
      data: { email: `mm-${randomBytes(3).toString("hex")}@example.com`, passwordHash: "x" },
    });
    const login = `m-${randomBytes(3).toString("hex")}@msn.example`;
    const password = `pw-${randomBytes(5).toString("hex")}`;
    await sandbox.createAccount("msn", login, password);
    await linkAccount({ db, connectors, keyring }, user.id, { networkId: "msn", login, secret: password });
    await worker.drain();

    await sandbox.setFaults("msn", { isDown: true });
    await updateProfile(db, { userId: user.id, changes: { signature: "metrics" }, source: "portal" });
    await vi.waitFor(async () => {
      await worker.runOne();
      expect(await db.delivery.count({ where: { userId: user.id, state: "RETRYING" } })).toBe(1);
    });
    await sandbox.clearFaults();
    await vi.waitFor(
      async () => {
        await worker.drain();
        expect(await db.delivery.count({ where: { userId: user.id, state: "DELIVERED" } })).toBe(1);
      },
      { timeout: 10_000 },
    );

    await writeMetricMinutes(db);
    const totals = await db.metricMinute.aggregate({
      where: { networkId: "msn" },
      _sum: { delivered: true, retried: true, failed: true },
    });
    expect(totals._sum).toEqual({ delivered: 1, retried: 1, failed: 0 });
  });
});
