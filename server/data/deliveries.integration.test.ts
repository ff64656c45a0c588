/**
 * The delivery log on real Postgres: every filter alone and every combination of them gives
 * exactly the deliveries it should (checked against the seeded rows, so nothing another filter
 * excludes slips in), newest first by (createdAt, id); paging through in small pages over many
 * rows that share a createdAt loses and repeats nothing; the person can be named by email in any
 * case; and a row carries what support needs and nothing of the account's credentials.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import type { DeliveryState } from "../generated/prisma/client";
import { listDeliveryLog, type TDeliveryLogFilter } from "./deliveries";

const { db } = await setupTestDb();

const NETWORKS = ["qq", "msn", "fetion"] as const;
const STATES: DeliveryState[] = ["DELIVERED", "FAILED", "RETRYING", "QUEUED", "SUPERSEDED"];
const BASE = Date.parse("2026-11-01T00:00:00.000Z");
const MINUTE = 60_000;

interface TSeeded {
  id: string;
  userId: string;
  networkId: string;
  state: DeliveryState;
  createdAt: Date;
}

const people: Array<{ id: string; email: string; logins: Record<string, string> }> = [];
const seeded: TSeeded[] = [];

beforeAll(async () => {
  for (const name of ["ana", "bo", "cy"]) {
    const user = await db.user.create({
      data: { email: `${name}-${randomUUID().slice(0, 8)}@log.example`, passwordHash: "x" },
    });
    const logins: Record<string, string> = {};
    const revision = await db.profileRevision.create({
      data: { userId: user.id, version: 1, source: "portal", signature: "hi", changedFields: ["signature"] },
    });
    for (const networkId of NETWORKS) {
      const account = await db.linkedAccount.create({
        data: {
          userId: user.id,
          networkId,
          login: `${name}-${networkId}-${randomUUID().slice(0, 6)}`,
          credentials: `sealed-secret-${name}-${networkId}`,
          credentialsKeyId: "k1",
          verifiedAt: new Date(),
        },
      });
      logins[networkId] = account.login;
      // 20 deliveries per account over 10 distinct minutes, so most share their createdAt with others.
      const rows = Array.from({ length: 20 }, (_, index) => ({
        id: randomUUID(),
        revisionId: revision.id,
        userId: user.id,
        linkedAccountId: account.id,
        networkId,
        version: 1,
        state: STATES[(index + name.length + networkId.length) % STATES.length]!,
        fields: ["signature"],
        settings: { signature: "hi" },
        attempts: index % 4,
        lastError: index % 5 === 1 ? `vendor says no (${index})` : null,
        createdAt: new Date(BASE + (index % 10) * MINUTE),
      }));
      await db.delivery.createMany({ data: rows });
      seeded.push(
        ...rows.map(({ id, userId, networkId, state, createdAt }) => ({ id, userId, networkId, state, createdAt })),
      );
    }
    people.push({ id: user.id, email: user.email, logins });
  }
});

const newestFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Every page of the log for a filter, checking that no id comes twice. */
async function everyPage(filter: Omit<TDeliveryLogFilter, "limit" | "cursor">, limit = 7) {
  const rows: Array<Awaited<ReturnType<typeof listDeliveryLog>>["rows"][number]> = [];
  let cursor: TDeliveryLogFilter["cursor"];
  for (let pages = 0; pages < 500; pages++) {
    const page = await listDeliveryLog(db, { ...filter, limit, ...(cursor ? { cursor } : {}) });
    expect(page.rows.length).toBeLessThanOrEqual(limit);
    rows.push(...page.rows);
    if (!page.nextCursor) break;
    expect(page.rows).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
  return rows;
}

function expected(filter: Omit<TDeliveryLogFilter, "limit" | "cursor" | "email">) {
  return seeded
    .filter(
      (row) =>
        (!filter.networkId || row.networkId === filter.networkId) &&
        (!filter.state || row.state === filter.state) &&
        (!filter.userId || row.userId === filter.userId) &&
        (!filter.from || row.createdAt >= filter.from) &&
        (!filter.to || row.createdAt <= filter.to),
    )
    .sort(newestFirst)
    .map((row) => row.id);
}

describe("the delivery log", () => {
  it("lists every delivery newest first, in pages that lose and repeat nothing across ties", async () => {
    const rows = await everyPage({});
    expect(rows.map((row) => row.id)).toEqual(expected({}));
    expect(rows).toHaveLength(180);
    // The seeded times really tie: pages end in the middle of a run of equal createdAt.
    expect(new Set(rows.map((row) => row.createdAt.getTime())).size).toBe(10);
    // Page sizes that divide the ties differently give the same list.
    for (const limit of [1, 18, 25, 100]) {
      expect((await everyPage({}, limit)).map((row) => row.id)).toEqual(expected({}));
    }
  });

  it("filters by each filter alone, exactly", async () => {
    const [ana] = people;
    const filters: Array<Omit<TDeliveryLogFilter, "limit">> = [
      { networkId: "msn" },
      { state: "FAILED" },
      { userId: ana!.id },
      { from: new Date(BASE + 3 * MINUTE) },
      { to: new Date(BASE + 6 * MINUTE) },
      { from: new Date(BASE + 3 * MINUTE), to: new Date(BASE + 6 * MINUTE) },
    ];
    for (const filter of filters) {
      const ids = (await everyPage(filter)).map((row) => row.id);
      expect(ids.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(ids.length, JSON.stringify(filter)).toBeLessThan(180);
      expect(ids, JSON.stringify(filter)).toEqual(expected(filter));
    }
  });

  it("combines every filter: all 16 combinations give exactly the rows every one of them admits", async () => {
    const bo = people[1]!;
    let nonEmpty = 0;
    for (let mask = 0; mask < 16; mask++) {
      const filter: Omit<TDeliveryLogFilter, "limit"> = {
        ...(mask & 1 ? { networkId: "fetion" } : {}),
        ...(mask & 2 ? { state: "DELIVERED" as const } : {}),
        ...(mask & 4 ? { userId: bo.id } : {}),
        ...(mask & 8 ? { from: new Date(BASE + 2 * MINUTE), to: new Date(BASE + 8 * MINUTE) } : {}),
      };
      const rows = await everyPage(filter, 3);
      expect(
        rows.map((row) => row.id),
        JSON.stringify(filter),
      ).toEqual(expected(filter));
      for (const row of rows) {
        if (filter.networkId) expect(row.networkId).toBe(filter.networkId);
        if (filter.state) expect(row.state).toBe(filter.state);
        if (filter.userId) expect(row.userId).toBe(filter.userId);
      }
      if (rows.length > 0) nonEmpty++;
    }
    // The combinations are not vacuous: even all four together match some rows.
    expect(nonEmpty).toBe(16);
  });

  it("keeps the time range inclusive at both ends, also on later pages", async () => {
    const at = new Date(BASE + 4 * MINUTE);
    const rows = await everyPage({ from: at, to: at }, 2);
    expect(rows.map((row) => row.id)).toEqual(expected({ from: at, to: at }));
    expect(rows).toHaveLength(18);
    expect(rows.every((row) => row.createdAt.getTime() === at.getTime())).toBe(true);
  });

  it("finds the person by exact email in any case, and nobody for an unknown or conflicting one", async () => {
    const cy = people[2]!;
    const byId = (await everyPage({ userId: cy.id })).map((row) => row.id);
    expect(byId).toHaveLength(60);
    expect((await everyPage({ email: `  ${cy.email.toUpperCase()} ` })).map((row) => row.id)).toEqual(byId);
    expect((await everyPage({ email: cy.email, state: "FAILED" })).map((row) => row.id)).toEqual(
      expected({ userId: cy.id, state: "FAILED" }),
    );
    // Exact, not a part of it.
    expect(await listDeliveryLog(db, { email: cy.email.slice(1), limit: 10 })).toEqual({ rows: [], nextCursor: null });
    expect(await listDeliveryLog(db, { email: "nobody@log.example", limit: 10 })).toEqual({
      rows: [],
      nextCursor: null,
    });
    // An email and someone else's id match nobody rather than either one.
    expect(await listDeliveryLog(db, { email: cy.email, userId: people[0]!.id, limit: 10 })).toEqual({
      rows: [],
      nextCursor: null,
    });
  });

  it("shows each row's person, account, revision and vendor message, and no credentials", async () => {
    const ana = people[0]!;
    const [row] = (await listDeliveryLog(db, { userId: ana.id, networkId: "qq", state: "FAILED", limit: 1 })).rows;
    expect(row).toBeDefined();
    const stored = await db.delivery.findUniqueOrThrow({ where: { id: row!.id } });
    expect(Object.keys(row!).sort()).toEqual(
      [
        "attempts",
        "createdAt",
        "deliveredAt",
        "fields",
        "id",
        "lastError",
        "login",
        "networkId",
        "networkName",
        "nextAttemptAt",
        "source",
        "state",
        "updatedAt",
        "userEmail",
        "userId",
        "version",
      ].sort(),
    );
    expect(row).toMatchObject({
      userId: ana.id,
      userEmail: ana.email,
      networkId: "qq",
      networkName: "QQ",
      login: ana.logins.qq,
      state: "FAILED",
      fields: ["signature"],
      attempts: stored.attempts,
      lastError: stored.lastError,
      version: 1,
      source: "portal",
    });
    const text = JSON.stringify(await everyPage({}, 100));
    expect(text).not.toContain("sealed-secret");
  });
});
