import { describe, expect, it } from "vitest";
import { setupTestDb } from "../test/database";
import { DomainError } from "./domain-error";
import { clearHits, forgiveHits, RateLimitedError, takeHits, type TLimit } from "./rate-limit";

const { db } = await setupTestDb();
const WINDOW = 60_000;
const message = (ms: number) => `wait ${ms}`;

describe("takeHits", () => {
  it("lets exactly `max` of many parallel callers through (the check and the count are one step)", async () => {
    const limits: TLimit[] = [{ key: "parallel", max: 10, windowMs: WINDOW }];
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => takeHits(db, limits, message)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(10);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "RATE_LIMITED", key: "parallel" });
    }
    expect(await db.rateLimitHit.count({ where: { key: "parallel" } })).toBe(10);
  });

  it("settles a burst of 500 callers on one key: 10 counted, every other one refused, none failing", async () => {
    // More callers than pooled connections: each waits its turn for one statement.
    const limits: TLimit[] = [
      { key: "burst", max: 10, windowMs: WINDOW },
      { key: "burst-ip", max: 1000, windowMs: WINDOW },
    ];
    const results = await Promise.allSettled(Array.from({ length: 500 }, () => takeHits(db, limits, message)));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(10);
    const reasons = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
    expect(reasons.every((reason) => reason instanceof RateLimitedError)).toBe(true);
    expect(await db.rateLimitHit.count({ where: { key: "burst-ip" } })).toBe(10);
  });

  it("refuses a key listed twice, and a caller under an isolation that would see too little", async () => {
    const twice = { key: "twice", max: 1, windowMs: WINDOW };
    await expect(takeHits(db, [twice, twice], message)).rejects.toThrow(/appears twice/);
    await expect(
      db.$transaction(
        (tx) => tx.$queryRaw`SELECT * FROM rate_limit_take(ARRAY['strict'], ARRAY[1], ARRAY[60000]::bigint[], now())`,
        { isolationLevel: "RepeatableRead" },
      ),
    ).rejects.toThrow(/needs READ COMMITTED/);
    expect(await db.rateLimitHit.count({ where: { key: { in: ["twice", "strict"] } } })).toBe(0);
  });

  it("counts on every limit or on none", async () => {
    await takeHits(db, [{ key: "full", max: 1, windowMs: WINDOW }], message);
    await expect(
      takeHits(
        db,
        [
          { key: "room", max: 5, windowMs: WINDOW },
          { key: "full", max: 1, windowMs: WINDOW },
        ],
        message,
      ),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await db.rateLimitHit.count({ where: { key: "room" } })).toBe(0);
  });

  it("frees a place when the oldest hit leaves the window, and says when", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    const limits = [{ key: "slide", max: 2, windowMs: WINDOW }];
    await takeHits(db, limits, message, start);
    await takeHits(db, limits, message, new Date(start.getTime() + 10_000));
    await expect(takeHits(db, limits, message, new Date(start.getTime() + 20_000))).rejects.toMatchObject({
      retryAfterMs: 40_000,
      message: "wait 40000",
    });
    await expect(takeHits(db, limits, message, new Date(start.getTime() + WINDOW + 1))).resolves.toHaveLength(1);
  });

  it("forgives a hit and clears a key", async () => {
    const limits = [{ key: "forgive", max: 1, windowMs: WINDOW }];
    const hits = await takeHits(db, limits, message);
    await forgiveHits(db, hits);
    const again = await takeHits(db, limits, message);
    expect(again).toHaveLength(1);
    await clearHits(db, ["forgive"]);
    expect(await db.rateLimitHit.count({ where: { key: "forgive" } })).toBe(0);
  });
});
