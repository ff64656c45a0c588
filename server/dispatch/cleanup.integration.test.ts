/**
 * The cleanup job on real Postgres: old and new rows of every kind, and exactly the ones nothing
 * can use any more are gone afterwards; it deletes in bounded statements (counted by a trigger),
 * every statement walks an index, one worker at a time runs it, and the worker schedules it. The
 * unused-avatar search reads only a recent window of uploads; dead letters stay for the retention
 * period; a failing step does not stop the others; a replay after cleanup changes nothing.
 */
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { fakeConnectors } from "../../test/fake-connectors";
import { captureLogs } from "../../test/log-capture";
import { createKeyring } from "../crypto/secrets";
import { Prisma } from "../generated/prisma/client";
import { webhookConnectors } from "../../scripts/lib/webhook-receiver";
import { signPayload } from "../connectors/sandbox/webhook-signature";
import { receiveWebhook } from "../monitor/receive-webhook";
import { storeOriginalAvatar } from "../profile/avatars";
import { updateProfile } from "../profile/update";
import { runScheduledJob } from "./define-job";
import { cleanupJob, cleanupStatements, orphanAvatars, removeAvatars, runCleanup } from "./jobs/cleanup";
import { createWorker, type TWorker } from "./worker";

const { db, url: databaseUrl } = await setupTestDb();
const OPTIONS = { deliveryRetentionDays: 90 };

const ago = (interval: string) => Prisma.sql`now() - ${interval}::interval`;
const sha = () => randomBytes(32).toString("hex");

async function seedUser() {
  const user = await db.user.create({
    data: { email: `c-${randomBytes(4).toString("hex")}@example.com`, passwordHash: "x" },
  });
  const account = await db.linkedAccount.create({
    data: {
      userId: user.id,
      networkId: "qq",
      login: String(10_000_000 + Math.floor(Math.random() * 80_000_000)),
      credentials: "sealed",
      credentialsKeyId: "k1",
      verifiedAt: new Date(),
    },
  });
  return { userId: user.id, accountId: account.id };
}

let version = 0;
async function seedRevision(userId: string, avatarSha256: string | null = null) {
  return db.profileRevision.create({
    data: { userId, version: ++version, source: "portal", avatarSha256, changedFields: ["avatar"] },
  });
}

async function seedAvatar(age: string) {
  const digest = sha();
  await db.$executeRaw`
    INSERT INTO avatars (sha256, content_type, width, height, bytes, data, created_at)
    VALUES (${digest}, 'image/png', 1, 1, 1, '\\x00'::bytea, ${ago(age)})`;
  return digest;
}

async function seedHit(key: string, age: string) {
  const [row] = await db.$queryRaw<Array<{ id: bigint }>>`
    INSERT INTO rate_limit_hits (key, created_at) VALUES (${key}, ${ago(age)}) RETURNING id`;
  return row!.id;
}

let running: TWorker | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe("a cleanup run", () => {
  it("removes exactly the rows nothing can use any more", async () => {
    const { userId, accountId } = await seedUser();

    // Rate-limit hits: past every window, or still counting.
    const key = `cleanup-${randomUUID()}`;
    const oldHit = await seedHit(key, "25 hours");
    const newHit = await seedHit(key, "1 hour");

    // Network reports: processed long ago, processed just now, never processed (however old).
    const event = async (name: string, received: string, processed: string | null) => {
      const id = randomUUID();
      await db.$executeRaw`
        INSERT INTO inbound_events (id, network_id, external_id, linked_account_id, login, payload, received_at, processed_at)
        VALUES (${id}::uuid, 'qq', ${`${name}-${id}`}, ${accountId}::uuid, 'x', '{}'::jsonb, ${ago(received)},
                ${processed === null ? null : ago(processed)})`;
      return id;
    };
    const oldEvent = await event("old", "2 days", "2 days");
    const recentEvent = await event("recent", "1 hour", "1 hour");
    const waitingEvent = await event("waiting", "30 days", null);

    // Jobs: an inbound event's finished job goes with its event; a dead letter stays as long as
    // deliveries; pending jobs and the account's sync job (its dirty marker) always stay.
    const job = async (kind: string, state: "PENDING" | "DONE" | "DEAD", finished: string | null) => {
      const id = randomUUID();
      await db.$executeRaw`
        INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, finished_at, updated_at)
        VALUES (${id}::uuid, ${kind}, ${kind === "sync-account" ? accountId : id}, ${userId}::uuid, ${accountId}::uuid,
                ${state}::"JobState", ${finished === null ? null : ago(finished)}, now())`;
      return id;
    };
    const doneOld = await job("inbound-event", "DONE", "2 days");
    const doneRecent = await job("inbound-event", "DONE", "1 hour");
    const deadRecent = await job("inbound-event", "DEAD", "2 days");
    const deadOld = await job("inbound-event", "DEAD", "100 days");
    const pending = await job("inbound-event", "PENDING", null);
    const syncMarker = await job("sync-account", "DONE", "100 days");

    // Deliveries: every state, old and new.
    const revision = await seedRevision(userId);
    const states = ["QUEUED", "SENDING", "RETRYING", "DELIVERED", "FAILED", "SKIPPED", "SUPERSEDED"] as const;
    const delivery = async (state: (typeof states)[number], age: string) => {
      const row = await db.delivery.create({
        data: {
          revisionId: revision.id,
          userId,
          linkedAccountId: accountId,
          networkId: "qq",
          version: 1,
          state,
          fields: [],
          settings: {},
        },
      });
      await db.$executeRaw`UPDATE deliveries SET updated_at = ${ago(age)} WHERE id = ${row.id}::uuid`;
      return { id: row.id, state, age };
    };
    const deliveries = [];
    for (const state of states) deliveries.push(await delivery(state, "91 days"), await delivery(state, "89 days"));

    // Avatars.
    const saved = await seedAvatar("400 days"); // an original a revision names: history keeps it
    await seedRevision(userId, saved);
    const savedRendition = await seedAvatar("400 days");
    const dropped = await seedAvatar("2 days"); // uploaded, never saved
    const droppedRendition = await seedAvatar("2 days");
    const fresh = await seedAvatar("1 hour"); // uploaded, its save may still be running
    const freshRendition = await seedAvatar("2 days");
    const shared = await seedAvatar("2 days"); // the same bytes made for a kept and a dropped original
    const stray = await seedAvatar("2 days"); // the rendition of an original gone long ago
    const rendition = (source: string, networkId: string, target: string) =>
      db.avatarRendition.create({ data: { sourceSha256: source, networkId, renditionSha256: target } });
    await rendition(saved, "qq", savedRendition);
    await rendition(saved, "msn", shared);
    await rendition(dropped, "qq", droppedRendition);
    await rendition(dropped, "msn", shared);
    await rendition(fresh, "qq", freshRendition);

    const report = await runCleanup(db, OPTIONS);

    const hits = await db.rateLimitHit.findMany({ where: { key }, select: { id: true } });
    expect(hits.map((hit) => hit.id)).toEqual([newHit]);
    expect(oldHit).not.toBe(newHit);

    const events = await db.inboundEvent.findMany({
      where: { id: { in: [oldEvent, recentEvent, waitingEvent] } },
      select: { id: true },
    });
    expect(events.map((row) => row.id).sort()).toEqual([recentEvent, waitingEvent].sort());

    const jobs = await db.job.findMany({
      where: { id: { in: [doneOld, doneRecent, deadRecent, deadOld, pending, syncMarker] } },
      select: { id: true },
    });
    expect(jobs.map((row) => row.id).sort()).toEqual([doneRecent, deadRecent, pending, syncMarker].sort());

    const kept = new Set(
      (await db.delivery.findMany({ where: { userId }, select: { id: true } })).map((row) => row.id),
    );
    const finished = ["DELIVERED", "FAILED", "SKIPPED", "SUPERSEDED"];
    for (const entry of deliveries) {
      expect({ ...entry, isKept: kept.has(entry.id) }).toEqual({
        ...entry,
        isKept: entry.age === "89 days" || !finished.includes(entry.state),
      });
    }

    const avatars = new Set(
      (
        await db.avatar.findMany({
          where: {
            sha256: { in: [saved, savedRendition, dropped, droppedRendition, fresh, freshRendition, shared, stray] },
          },
          select: { sha256: true },
        })
      ).map((row) => row.sha256),
    );
    expect(avatars).toEqual(new Set([saved, savedRendition, fresh, freshRendition, shared]));
    const renditions = await db.avatarRendition.findMany({
      where: { sourceSha256: { in: [saved, dropped, fresh] } },
      select: { sourceSha256: true, networkId: true },
    });
    expect(
      renditions.map((row) => `${row.sourceSha256 === saved ? "saved" : "fresh"}:${row.networkId}`).sort(),
    ).toEqual(["saved:msn", "saved:qq", "fresh:qq"].sort());
    expect(report).toMatchObject({ avatars: 3, avatarRenditions: 2 });
  });

  it("deletes in statements of at most a batch each", async () => {
    // Each DELETE statement records how many rows it removed (a trigger, outside the code under test).
    await db.$executeRawUnsafe(`CREATE TABLE cleanup_statements (seq serial, table_name text, removed int)`);
    await db.$executeRawUnsafe(`
      CREATE FUNCTION count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO cleanup_statements (table_name, removed) SELECT TG_TABLE_NAME, count(*) FROM gone;
        RETURN NULL;
      END $$`);
    for (const table of ["rate_limit_hits", "deliveries", "avatars"]) {
      await db.$executeRawUnsafe(`
        CREATE TRIGGER count_removed AFTER DELETE ON ${table} REFERENCING OLD TABLE AS gone
        FOR EACH STATEMENT EXECUTE FUNCTION count_removed()`);
    }
    try {
      // Nothing else is old in this file's database after the first test's run.
      await runCleanup(db, OPTIONS);
      await db.$executeRawUnsafe(`TRUNCATE cleanup_statements`);
      const key = `batch-${randomUUID()}`;
      for (let index = 0; index < 7; index++) await seedHit(key, "2 days");
      const { userId, accountId } = await seedUser();
      const revision = await seedRevision(userId);
      for (let index = 0; index < 5; index++) {
        const row = await db.delivery.create({
          data: {
            revisionId: revision.id,
            userId,
            linkedAccountId: accountId,
            networkId: "qq",
            version: 1,
            state: "DELIVERED",
            fields: [],
            settings: {},
          },
        });
        await db.$executeRaw`UPDATE deliveries SET updated_at = ${ago("100 days")} WHERE id = ${row.id}::uuid`;
      }
      for (let index = 0; index < 4; index++) await seedAvatar("2 days");

      const report = await runCleanup(db, { ...OPTIONS, batchSize: 3 });

      expect(report).toMatchObject({ rateLimitHits: 7, deliveries: 5, avatars: 4 });
      const statements = await db.$queryRaw<Array<{ table_name: string; removed: number }>>`
        SELECT table_name, removed FROM cleanup_statements WHERE removed > 0 ORDER BY seq`;
      expect(statements).toEqual([
        { table_name: "rate_limit_hits", removed: 3 },
        { table_name: "rate_limit_hits", removed: 3 },
        { table_name: "rate_limit_hits", removed: 1 },
        { table_name: "deliveries", removed: 3 },
        { table_name: "deliveries", removed: 2 },
        { table_name: "avatars", removed: 3 },
        { table_name: "avatars", removed: 1 },
      ]);
    } finally {
      for (const table of ["rate_limit_hits", "deliveries", "avatars"]) {
        await db.$executeRawUnsafe(`DROP TRIGGER count_removed ON ${table}`);
      }
      await db.$executeRawUnsafe(`DROP FUNCTION count_removed; DROP TABLE cleanup_statements`);
    }
  });

  it("walks an index in every statement", async () => {
    const statements = cleanupStatements(OPTIONS);
    const plans: Record<string, [Prisma.Sql, string[]]> = {
      rateLimitHits: [statements.rateLimitHits(1000), ["rate_limit_hits_created_at_idx"]],
      // Either of its two time indexes (the planner picks by their statistics).
      inboundEvents: [statements.inboundEvents(1000), ["inbound_events_(processed|received)_at_idx"]],
      inboundEventJobs: [statements.inboundEventJobs(1000), ["jobs_state_finished_at_idx"]],
      deadEvents: [statements.deadEvents(1000), ["inbound_events_processed_at_idx"]],
      deadEventJobs: [statements.deadEventJobs(1000), ["jobs_state_finished_at_idx"]],
      deliveries: [statements.deliveries(1000), ["deliveries_state_updated_at_idx"]],
      orphanAvatars: [
        orphanAvatars(1000),
        ["avatars_created_at_idx", "profile_revisions_avatar_sha256_idx", "avatar_renditions_rendition_sha256_idx"],
      ],
      removeAvatars: [
        removeAvatars([sha(), sha()]),
        ["avatars_pkey", "profile_revisions_avatar_sha256_idx", "avatar_renditions_rendition_sha256_idx"],
      ],
      renditionRows: [
        Prisma.sql`DELETE FROM avatar_renditions WHERE source_sha256 = ANY(${[sha()]}::text[])`,
        ["avatar_renditions_pkey"],
      ],
    };
    for (const [name, [statement, indexes]] of Object.entries(plans)) {
      // Sequential scans off: a statement no index serves still plans one (at a prohibitive cost).
      const plan = await db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
        const [row] = await tx.$queryRaw<Array<{ "QUERY PLAN": unknown }>>(
          Prisma.sql`EXPLAIN (FORMAT JSON) ${statement}`,
        );
        return JSON.stringify(row!["QUERY PLAN"]);
      });
      expect({ name, hasSeqScan: plan.includes('"Seq Scan"') }).toEqual({ name, hasSeqScan: false });
      for (const index of indexes) {
        expect({ name, plan }).toEqual({ name, plan: expect.stringMatching(new RegExp(`"${index}"`)) });
      }
    }
  });
});

/** Every scan of a table in an EXPLAIN ANALYZE plan: relation and rows read over all loops. */
function scans(node: Record<string, unknown>): Array<{ relation: string; rows: number }> {
  const children = (node.Plans as Array<Record<string, unknown>> | undefined) ?? [];
  const own =
    typeof node["Relation Name"] === "string"
      ? [
          {
            relation: node["Relation Name"],
            rows:
              ((node["Actual Rows"] as number) + ((node["Rows Removed by Filter"] as number | undefined) ?? 0)) *
              (node["Actual Loops"] as number),
          },
        ]
      : [];
  return [...own, ...children.flatMap(scans)];
}

async function seedEvent(accountId: string, outcome: string | null, processed: string) {
  const id = randomUUID();
  await db.$executeRaw`
    INSERT INTO inbound_events (id, network_id, external_id, linked_account_id, login, payload, received_at, processed_at, outcome)
    VALUES (${id}::uuid, 'qq', ${`e-${id}`}, ${accountId}::uuid, 'x', '{}'::jsonb, ${ago(processed)}, ${ago(processed)}, ${outcome})`;
  return id;
}

async function seedEventJob(
  userId: string,
  accountId: string,
  eventId: string,
  state: "DONE" | "DEAD",
  finished: string,
) {
  const id = randomUUID();
  await db.$executeRaw`
    INSERT INTO jobs (id, kind, key, user_id, linked_account_id, state, finished_at, updated_at)
    VALUES (${id}::uuid, 'inbound-event', ${eventId}, ${userId}::uuid, ${accountId}::uuid, ${state}::"JobState", ${ago(finished)}, now())`;
  return id;
}

describe("what a cleanup run looks at", () => {
  it("never removes an avatar uploaded again after its grace period began (the save that names it follows)", async () => {
    const { userId } = await seedUser();
    const image = await sharp({
      create: { width: 40, height: 40, channels: 3, background: { r: 9, g: 99, b: 199 } },
    })
      .png()
      .toBuffer();
    const digest = await storeOriginalAvatar(db, image);
    await db.$executeRaw`UPDATE avatars SET created_at = ${ago("2 days")} WHERE sha256 = ${digest}`;
    // The same picture again: its save is about to run when the cleanup comes.
    expect(await storeOriginalAvatar(db, image)).toBe(digest);
    await runCleanup(db, OPTIONS);
    await updateProfile(db, { userId, changes: { avatarSha256: digest }, source: "portal" });
    expect(await db.avatar.count({ where: { sha256: digest } })).toBe(1);
  });

  it("looks only at avatars stored within the window after their grace period", async () => {
    const inside = await seedAvatar("7 days");
    const older = await seedAvatar("9 days");
    await runCleanup(db, OPTIONS);
    const left = await db.avatar.findMany({ where: { sha256: { in: [inside, older] } }, select: { sha256: true } });
    expect(left.map((row) => row.sha256)).toEqual([older]);
  });

  it("reads only the window's avatars, however many old ones history keeps", async () => {
    const { userId } = await seedUser();
    await db.$executeRaw`
      INSERT INTO avatars (sha256, content_type, width, height, bytes, data, created_at)
      SELECT md5('kept' || n) || md5('avatar' || n), 'image/png', 1, 1, 1, '\\x00'::bytea, now() - make_interval(days => 30 + n % 300)
      FROM generate_series(1, 3000) AS n`;
    await db.$executeRaw`
      INSERT INTO profile_revisions (id, user_id, version, source, avatar_sha256, changed_fields)
      SELECT gen_random_uuid(), ${userId}::uuid, 100000 + n, 'portal', md5('kept' || n) || md5('avatar' || n), '{avatar}'
      FROM generate_series(1, 3000) AS n`;
    await db.$executeRawUnsafe("ANALYZE avatars, profile_revisions, avatar_renditions");
    const [row] = await db.$queryRaw<Array<{ "QUERY PLAN": Array<{ Plan: Record<string, unknown> }> }>>(
      Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${orphanAvatars(1000)}`,
    );
    const read = scans(row!["QUERY PLAN"][0]!.Plan);
    expect(read.map((scan) => scan.relation)).toContain("avatars");
    expect(read.filter((scan) => scan.rows > 100)).toEqual([]);
  });

  it("keeps a dead-lettered event with its dead job for the retention period, then removes both", async () => {
    const { userId, accountId } = await seedUser();
    const recentEvent = await seedEvent(accountId, "dead", "2 days");
    const recentJob = await seedEventJob(userId, accountId, recentEvent, "DEAD", "2 days");
    const oldEvent = await seedEvent(accountId, "dead", "91 days");
    const oldJob = await seedEventJob(userId, accountId, oldEvent, "DEAD", "91 days");
    const doneEvent = await seedEvent(accountId, "update", "2 days");

    const report = await runCleanup(db, OPTIONS);

    const events = await db.inboundEvent.findMany({
      where: { id: { in: [recentEvent, oldEvent, doneEvent] } },
      select: { id: true },
    });
    expect(events.map((event) => event.id)).toEqual([recentEvent]);
    const jobs = await db.job.findMany({ where: { id: { in: [recentJob, oldJob] } }, select: { id: true } });
    expect(jobs.map((job) => job.id)).toEqual([recentJob]);
    expect(report).toMatchObject({ deadEvents: 1, deadEventJobs: 1 });
  });

  it("removes the oldest finished deliveries first", async () => {
    await runCleanup(db, OPTIONS);
    const { userId, accountId } = await seedUser();
    const revision = await seedRevision(userId);
    const seed = async (state: "DELIVERED" | "SUPERSEDED", age: string) => {
      const row = await db.delivery.create({
        data: {
          revisionId: revision.id,
          userId,
          linkedAccountId: accountId,
          networkId: "qq",
          version: 1,
          state,
          fields: [],
          settings: {},
        },
      });
      await db.$executeRaw`UPDATE deliveries SET updated_at = ${ago(age)} WHERE id = ${row.id}::uuid`;
      return row.id;
    };
    // The newer first, and in the state the index lists first: only the ORDER BY picks the older.
    const newer = await seed("DELIVERED", "95 days");
    const older = await seed("SUPERSEDED", "200 days");
    expect(await db.$executeRaw(cleanupStatements(OPTIONS).deliveries(1))).toBe(1);
    const left = await db.delivery.findMany({ where: { id: { in: [newer, older] } }, select: { id: true } });
    expect(left.map((row) => row.id)).toEqual([newer]);
    await runCleanup(db, OPTIONS);
  });

  it("goes on past a step that fails, and logs it", async () => {
    const { userId, accountId } = await seedUser();
    const revision = await seedRevision(userId);
    const delivery = await db.delivery.create({
      data: {
        revisionId: revision.id,
        userId,
        linkedAccountId: accountId,
        networkId: "qq",
        version: 1,
        state: "DELIVERED",
        fields: [],
        settings: {},
      },
    });
    await db.$executeRaw`UPDATE deliveries SET updated_at = ${ago("100 days")} WHERE id = ${delivery.id}::uuid`;
    const key = `failing-${randomUUID()}`;
    await seedHit(key, "2 days");
    const orphan = await seedAvatar("2 days");
    await db.$executeRawUnsafe(`
      CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'cleanup test: deliveries refuse deletes'; END $$`);
    await db.$executeRawUnsafe(`
      CREATE TRIGGER refuse_delete BEFORE DELETE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse_delete()`);
    const logged = captureLogs("error");
    try {
      const report = await runCleanup(db, OPTIONS);
      expect(report).toMatchObject({ rateLimitHits: 1, deliveries: 0, avatars: 1 });
      expect(await db.delivery.count({ where: { id: delivery.id } })).toBe(1);
      expect(await db.avatar.count({ where: { sha256: orphan } })).toBe(0);
      expect(logged.entries()).toEqual([
        expect.objectContaining({
          where: "cleanup deliveries",
          msg: expect.stringContaining("deliveries refuse deletes"),
        }),
      ]);
    } finally {
      logged.restore();
      await db.$executeRawUnsafe(`DROP TRIGGER refuse_delete ON deliveries`);
      await db.$executeRawUnsafe(`DROP FUNCTION refuse_delete`);
    }
    await runCleanup(db, OPTIONS);
    expect(await db.delivery.count({ where: { id: delivery.id } })).toBe(0);
  });

  it("lets a replay of a removed event in again, where its vendor mark makes it stale: it changes nothing", async () => {
    const { userId, accountId } = await seedUser();
    const { login } = await db.linkedAccount.findUniqueOrThrow({ where: { id: accountId } });
    const connectors = fakeConnectors({
      parseReport: (payload) => {
        const { signature, mark } = payload as { signature: string; mark: number };
        return { login, fields: ["signature"], values: { signature }, mark, writeKey: null, isWriterKnown: false };
      },
    });
    const worker = createWorker({
      db,
      databaseUrl,
      connectors,
      keyring: createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined),
      concurrency: 1,
      leaseMs: 30_000,
      retryBaseMs: 5,
    });
    const secret = "the-shared-webhook-secret";
    const eventBody = (signature: string, mark: number) =>
      JSON.stringify({ id: `evt_${randomUUID()}`, network: "qq", login, signature, mark });
    const receive = (body: string) => {
      const timestamp = Math.floor(Date.now() / 1000);
      return receiveWebhook(db, webhookConnectors(secret), {
        networkId: "qq",
        headers: new Headers({
          "x-sandbox-timestamp": String(timestamp),
          "x-sandbox-signature": signPayload(secret, timestamp, body),
        }),
        body,
      });
    };
    const outcomes = () =>
      db.inboundEvent.findMany({
        where: { linkedAccountId: accountId },
        orderBy: { receivedAt: "asc" },
        select: { outcome: true },
      });
    const signatures = async () =>
      (await db.profileRevision.findMany({ where: { userId }, orderBy: { version: "asc" } })).map(
        (revision) => revision.signature,
      );

    // Two changes typed in the network (its version 7, then 8), each taken.
    const first = eventBody("first", 7);
    expect((await receive(first)).status).toBe(202);
    await worker.drain();
    expect((await receive(eventBody("second", 8))).status).toBe(202);
    await worker.drain();
    expect(await outcomes()).toEqual([{ outcome: "update" }, { outcome: "update" }]);
    const taken = await signatures();
    expect(taken.slice(-2)).toEqual(["first", "second"]);
    expect((await receive(first)).status).toBe(409);

    await db.$executeRaw`
      UPDATE inbound_events SET received_at = ${ago("2 days")}, processed_at = ${ago("2 days")}
      WHERE linked_account_id = ${accountId}::uuid`;
    await db.$executeRaw`UPDATE jobs SET finished_at = ${ago("2 days")} WHERE linked_account_id = ${accountId}::uuid`;
    await runCleanup(db, OPTIONS);
    expect(await outcomes()).toEqual([]);

    // The first one again, after cleanup: recorded anew, and taken for what it is, an old report.
    expect((await receive(first)).status).toBe(202);
    await worker.drain();
    expect(await outcomes()).toEqual([{ outcome: "stale" }]);
    expect(await signatures()).toEqual(taken);
  });
});

describe("the cleanup schedule", () => {
  it("runs on one worker at a time: a run finding the turn taken does nothing", async () => {
    const key = `turn-${randomUUID()}`;
    await seedHit(key, "2 days");
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtextextended('scheduled-job:cleanup', 0))`);
      const job = cleanupJob(OPTIONS);
      expect(await runScheduledJob(db, databaseUrl, job, new AbortController().signal)).toBe(false);
      expect(await db.rateLimitHit.count({ where: { key } })).toBe(1);
      await other.query(`SELECT pg_advisory_unlock(hashtextextended('scheduled-job:cleanup', 0))`);
      expect(await runScheduledJob(db, databaseUrl, job, new AbortController().signal)).toBe(true);
      expect(await db.rateLimitHit.count({ where: { key } })).toBe(0);
    } finally {
      await other.end();
    }
  });

  it("is run by the worker soon after it starts, and again on its interval", async () => {
    const key = `scheduled-${randomUUID()}`;
    await seedHit(key, "2 days");
    running = createWorker({
      db,
      databaseUrl,
      connectors: fakeConnectors(),
      keyring: createKeyring(`k1:${randomBytes(32).toString("base64")}`, undefined),
      concurrency: 1,
      leaseMs: 30_000,
      retryBaseMs: 5,
      scheduled: [cleanupJob({ ...OPTIONS, firstAfterMs: 0, everyMs: 200 })],
    });
    await running.start();
    await expect.poll(() => db.rateLimitHit.count({ where: { key } }), { timeout: 10_000 }).toBe(0);
    await seedHit(key, "2 days");
    await expect.poll(() => db.rateLimitHit.count({ where: { key } }), { timeout: 10_000 }).toBe(0);
  });
});
