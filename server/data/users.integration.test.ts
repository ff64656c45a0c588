/** Support's user search and the audit log's search: filters, figures and keyset pagination. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { recordAudit, searchAudit } from "./audit";
import { searchUsers } from "./users";

const { db } = await setupTestDb();
const tag = randomBytes(3).toString("hex");

describe("searchUsers", () => {
  it("matches any part of the email in any case, newest first, a page at a time with ties", async () => {
    const sameTime = new Date("2026-11-01T10:00:00Z");
    const created = [];
    for (let index = 0; index < 7; index++) {
      created.push(
        await db.user.create({
          data: {
            email: `${tag}-p${index}@example.com`,
            passwordHash: "x",
            // Four share one timestamp: only the id orders them.
            createdAt: index < 4 ? sameTime : new Date(sameTime.getTime() + index * 1000),
          },
        }),
      );
    }
    await db.user.create({ data: { email: `other-${tag}x@example.org`, passwordHash: "x" } });

    const seen: string[] = [];
    let cursor: { createdAt: Date; id: string } | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await searchUsers(db, {
        query: ` ${tag.toUpperCase()}-P `,
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...result.rows.map((row) => row.email));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    const expected = [...created]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((user) => user.email);
    expect(seen).toEqual(expected);
  });

  it("takes % and _ in a search literally", async () => {
    await db.user.create({ data: { email: `${tag}_under@example.com`, passwordHash: "x" } });
    await db.user.create({ data: { email: `${tag}xunder@example.com`, passwordHash: "x" } });
    await db.user.create({ data: { email: `${tag}100%@example.com`, passwordHash: "x" } });
    expect((await searchUsers(db, { query: `${tag}_under`, limit: 10 })).rows.map((row) => row.email)).toEqual([
      `${tag}_under@example.com`,
    ]);
    expect((await searchUsers(db, { query: `${tag}1%`, limit: 10 })).rows).toHaveLength(0);
    expect((await searchUsers(db, { query: `${tag}100%`, limit: 10 })).rows).toHaveLength(1);
  });

  it("counts each person's accounts, re-auths, last change and failed deliveries of the last day", async () => {
    const user = await db.user.create({ data: { email: `${tag}-counted@example.com`, passwordHash: "x" } });
    const account = (login: string, status: "ACTIVE" | "NEEDS_REAUTH") =>
      db.linkedAccount.create({
        data: {
          userId: user.id,
          networkId: "qq",
          login,
          credentials: "sealed",
          credentialsKeyId: "k1",
          verifiedAt: new Date(),
          status,
        },
      });
    const qq = await account(`${tag}1`, "ACTIVE");
    await account(`${tag}2`, "NEEDS_REAUTH");
    const revision = await db.profileRevision.create({
      data: { userId: user.id, version: 1, source: "portal", changedFields: ["signature"], signature: "s" },
    });
    const delivery = (state: "FAILED" | "DELIVERED", updatedAt: Date) =>
      db.delivery
        .create({
          data: {
            revisionId: revision.id,
            userId: user.id,
            linkedAccountId: qq.id,
            networkId: "qq",
            version: 1,
            state,
            fields: [],
            settings: {},
          },
        })
        .then((row) => db.$executeRaw`UPDATE deliveries SET updated_at = ${updatedAt} WHERE id = ${row.id}::uuid`);
    await delivery("FAILED", new Date());
    await delivery("FAILED", new Date(Date.now() - 2 * 24 * 60 * 60_000)); // too old
    await delivery("DELIVERED", new Date());

    const { rows } = await searchUsers(db, { query: `${tag}-counted`, limit: 10 });
    expect(rows).toEqual([
      expect.objectContaining({
        id: user.id,
        linkedAccounts: 2,
        needsReauth: 1,
        failedLastDay: 1,
        lastChangeAt: revision.createdAt,
      }),
    ]);
  });
});

describe("searchAudit", () => {
  it("filters by actor, person, action and email, newest first, a page at a time", async () => {
    const actor = await db.user.create({ data: { email: `${tag}-actor@example.com`, passwordHash: "x" } });
    const person = await db.user.create({ data: { email: `${tag}-person@example.com`, passwordHash: "x" } });
    // A second apart, so the expected order is the time order (ties would be ordered by id).
    const base = Date.now() - 60_000;
    for (let index = 0; index < 5; index++) {
      await db.auditEvent.create({
        data: {
          actorId: actor.id,
          subjectId: person.id,
          action: index % 2 === 0 ? "admin.account.pause" : "admin.account.resume",
          targetType: "linked_account",
          targetId: `acct-${index}`,
          details: { reason: `reason ${index}` },
          createdAt: new Date(base + index * 1000),
        },
      });
    }
    await recordAudit(db, {
      actorId: null,
      subjectId: null,
      action: "network.disable",
      targetType: "network",
      targetId: "qq",
    });

    const byActor = await searchAudit(db, { actorId: actor.id, limit: 10 });
    expect(byActor.rows.map((row) => row.details.reason)).toEqual([
      "reason 4",
      "reason 3",
      "reason 2",
      "reason 1",
      "reason 0",
    ]);
    expect(byActor.rows[0]).toMatchObject({
      actorEmail: actor.email,
      subjectEmail: person.email,
      isActorDeleted: false,
    });

    const pauses = await searchAudit(db, { subjectId: person.id, action: "admin.account.pause", limit: 10 });
    expect(pauses.rows.map((row) => row.targetId)).toEqual(["acct-4", "acct-2", "acct-0"]);

    const byEmail = await searchAudit(db, { email: `${tag}-PERSON`.toUpperCase(), limit: 10 });
    expect(byEmail.rows).toHaveLength(5);

    const first = await searchAudit(db, { actorId: actor.id, limit: 2 });
    const second = await searchAudit(db, { actorId: actor.id, limit: 2, cursor: first.nextCursor! });
    const third = await searchAudit(db, { actorId: actor.id, limit: 2, cursor: second.nextCursor! });
    expect([...first.rows, ...second.rows, ...third.rows].map((row) => row.targetId)).toEqual([
      "acct-4",
      "acct-3",
      "acct-2",
      "acct-1",
      "acct-0",
    ]);
    expect(third.nextCursor).toBeNull();
  });
});
