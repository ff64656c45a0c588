/**
 * Each dashboard figure on seeded rollup rows (real Postgres): deliveries per minute per network,
 * success rate, queue depth, oldest due age, inbound events — per minute over the last hour, per
 * ten-minute bucket over the last day, and over the whole range; minutes no worker covered read as
 * unknown, not zero; the last finished minute (the gauges' figures).
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../../test/database";
import { readDashboard, readLastMinute, readSuccessLastHour, successRate, type TDashboard } from "./metrics";

const { db } = await setupTestDb();

/** The start of the minute `offset` minutes from the database's current one. */
async function minute(offset: number): Promise<Date> {
  const [row] = await db.$queryRaw<Array<{ at: Date }>>`
    SELECT date_bin('1 minute', now(), TIMESTAMPTZ '2000-01-01 00:00:00+00') + make_interval(mins => ${offset}) AS at`;
  return row!.at;
}

/** Seeds a whole scenario relative to the current minute, and reads it, within one minute. */
async function inOneMinute<T>(body: () => Promise<T>): Promise<T> {
  for (;;) {
    await db.$executeRaw`TRUNCATE metric_minutes, metric_samples`;
    const before = (await minute(0)).getTime();
    const result = await body();
    if ((await minute(0)).getTime() === before) return result;
  }
}

async function seedCounts(
  offset: number,
  networkId: string,
  counts: Partial<Record<"delivered" | "failed" | "retried" | "inbound", number>>,
) {
  await db.metricMinute.create({ data: { minute: await minute(offset), networkId, ...counts } });
}

/** Marks minutes [from, to] (offsets) covered by the rollup, unsampled. */
async function cover(from: number, to: number) {
  await db.$executeRaw`
    INSERT INTO metric_samples (minute)
    SELECT generate_series(${await minute(from)}::timestamptz, ${await minute(to)}::timestamptz, interval '1 minute')
    ON CONFLICT DO NOTHING`;
}

async function sample(offset: number, queueDepth: number, oldestDueMs: number) {
  await db.metricSample.upsert({
    where: { minute: await minute(offset) },
    create: { minute: await minute(offset), queueDepth, oldestDueMs: BigInt(oldestDueMs) },
    update: { queueDepth, oldestDueMs: BigInt(oldestDueMs) },
  });
}

const pointAt = async (dashboard: TDashboard, offset: number) => {
  const at = (await minute(offset)).getTime();
  const point = dashboard.points.find((candidate) => candidate.at.getTime() === at);
  if (!point) throw new Error(`no point at minute ${offset}`);
  return point;
};
const network = (point: { byNetwork: Array<{ networkId: string }> }, id: string) =>
  point.byNetwork.find((row) => row.networkId === id);

afterEach(async () => {
  await db.$executeRaw`TRUNCATE metric_minutes, metric_samples`;
});

describe("the last hour", () => {
  it("has a point per minute, the current (unfinished) one excluded", async () => {
    const { dashboard, from, to } = await inOneMinute(async () => ({
      dashboard: await readDashboard(db, "hour"),
      from: await minute(-60),
      to: await minute(0),
    }));
    expect(dashboard).toMatchObject({ range: "hour", bucketMinutes: 1, from, to });
    expect(dashboard.points.map((point) => point.at.getTime())).toEqual(
      Array.from({ length: 60 }, (_, index) => from.getTime() + index * 60_000),
    );
  });

  it("counts deliveries per minute per network: delivered, failed for good, retried", async () => {
    const { dashboard, ids } = await inOneMinute(async () => {
      await cover(-60, -1);
      await seedCounts(-3, "qq", { delivered: 4, failed: 1, retried: 2 });
      await seedCounts(-3, "msn", { delivered: 2 });
      await seedCounts(-2, "qq", { delivered: 1 });
      // A network since removed from the registry still shows, under its id.
      await seedCounts(-2, "gone-network", { retried: 5 });
      const ids = (await db.network.findMany({ where: { isEnabled: true, hasConnector: true } })).map((row) => row.id);
      return { dashboard: await readDashboard(db, "hour"), ids };
    });

    expect(network(await pointAt(dashboard, -3), "qq")).toEqual({
      networkId: "qq",
      delivered: 4,
      failed: 1,
      retried: 2,
      inbound: 0,
    });
    expect(network(await pointAt(dashboard, -3), "msn")).toMatchObject({ delivered: 2, failed: 0, retried: 0 });
    expect(network(await pointAt(dashboard, -2), "qq")).toMatchObject({ delivered: 1, failed: 0 });
    expect(network(await pointAt(dashboard, -2), "gone-network")).toMatchObject({ retried: 5 });
    expect(network(await pointAt(dashboard, -10), "qq")).toMatchObject({ delivered: 0, failed: 0, retried: 0 });
    // Every quiet live network has a line; so has any network the rows name.
    expect(dashboard.networks.map((row) => row.id)).toEqual([...ids, "gone-network"]);
    expect(dashboard.networks.at(-1)).toEqual({ id: "gone-network", displayName: "gone-network" });
    expect(dashboard.totals).toMatchObject({ delivered: 7, failed: 1, retried: 7, coveredMinutes: 60 });
  });

  it("gives the success rate of the deliveries that ended: none ended, none known", async () => {
    const { dashboard } = await inOneMinute(async () => {
      await cover(-60, -1);
      await seedCounts(-4, "qq", { delivered: 2, failed: 1 });
      await seedCounts(-4, "msn", { delivered: 1 });
      // Retries alone end nothing.
      await seedCounts(-3, "qq", { retried: 3 });
      await seedCounts(-2, "msn", { failed: 2 });
      return { dashboard: await readDashboard(db, "hour") };
    });

    expect((await pointAt(dashboard, -4)).successRate).toBe(0.75);
    expect((await pointAt(dashboard, -3)).successRate).toBeNull();
    expect((await pointAt(dashboard, -2)).successRate).toBe(0);
    expect((await pointAt(dashboard, -5)).successRate).toBeNull();
    expect(dashboard.totals.successRate).toBe(3 / 6);
    expect(successRate({ delivered: 0, failed: 0 })).toBeNull();
  });

  it("gives each network's success rate over the last hour (the Networks page), minutes before it left out", async () => {
    const rates = await inOneMinute(async () => {
      await cover(-90, -1);
      await seedCounts(-4, "qq", { delivered: 3, failed: 1 });
      await seedCounts(-59, "qq", { delivered: 4 });
      await seedCounts(-70, "qq", { failed: 9 }); // more than an hour ago
      await seedCounts(-2, "msn", { retried: 5 });
      await seedCounts(0, "msn", { failed: 1 }); // the unfinished minute
      return readSuccessLastHour(db);
    });
    expect(rates.get("qq")).toEqual({ successRate: 7 / 8, delivered: 7, failed: 1 });
    expect(rates.get("msn")).toEqual({ successRate: null, delivered: 0, failed: 0 });
  });

  it("shows the queue depth and the oldest due age as sampled, the latest minute's for the headline", async () => {
    const { dashboard } = await inOneMinute(async () => {
      await cover(-60, -1);
      await sample(-5, 12, 4_500);
      await sample(-4, 30, 61_000);
      await sample(-2, 3, 250);
      // The current minute's sample is not finished: not the headline yet.
      await sample(0, 99, 999_999);
      return { dashboard: await readDashboard(db, "hour") };
    });

    expect(await pointAt(dashboard, -5)).toMatchObject({ queueDepth: 12, oldestDueMs: 4_500 });
    expect(await pointAt(dashboard, -4)).toMatchObject({ queueDepth: 30, oldestDueMs: 61_000 });
    // Covered, not sampled (filled in after an outage): unknown, not an empty queue.
    expect(await pointAt(dashboard, -3)).toMatchObject({ queueDepth: null, oldestDueMs: null });
    expect(dashboard.totals).toMatchObject({ queueDepth: 30, oldestDueMs: 61_000 });
    // The last minute covered (-1) was not sampled: the latest is its sample, unknown.
    expect(dashboard.latest).toEqual({ at: await minute(-1), queueDepth: null, oldestDueMs: null });
  });

  it("takes the latest sample from the last minute covered", async () => {
    const { dashboard } = await inOneMinute(async () => {
      await cover(-60, -3);
      await sample(-3, 7, 1_234);
      return { dashboard: await readDashboard(db, "hour") };
    });
    expect(dashboard.latest).toEqual({ at: await minute(-3), queueDepth: 7, oldestDueMs: 1_234 });
  });

  it("counts inbound events per minute per network", async () => {
    const { dashboard } = await inOneMinute(async () => {
      await cover(-60, -1);
      await seedCounts(-6, "qq", { inbound: 3 });
      await seedCounts(-6, "msn", { inbound: 1 });
      await seedCounts(-1, "msn", { inbound: 4, delivered: 1 });
      return { dashboard: await readDashboard(db, "hour") };
    });

    expect(network(await pointAt(dashboard, -6), "qq")).toMatchObject({ inbound: 3 });
    expect(network(await pointAt(dashboard, -6), "msn")).toMatchObject({ inbound: 1 });
    expect(network(await pointAt(dashboard, -1), "msn")).toMatchObject({ inbound: 4 });
    expect(dashboard.totals.inbound).toBe(8);
  });

  it("reads minutes no worker covered as unknown, and says there is nothing when none is", async () => {
    const { dashboard } = await inOneMinute(async () => {
      await cover(-10, -1);
      return { dashboard: await readDashboard(db, "hour") };
    });
    expect(await pointAt(dashboard, -20)).toMatchObject({ coveredMinutes: 0, byNetwork: [], successRate: null });
    expect(await pointAt(dashboard, -5)).toMatchObject({ coveredMinutes: 1, successRate: null });
    expect(network(await pointAt(dashboard, -5), "qq")).toMatchObject({ delivered: 0 });
    expect(dashboard.totals.coveredMinutes).toBe(10);

    const empty = await inOneMinute(() => readDashboard(db, "hour"));
    expect(empty.latest).toBeNull();
    expect(empty.totals).toMatchObject({ coveredMinutes: 0, delivered: 0, successRate: null, queueDepth: null });
  });
});

describe("the last day", () => {
  it("sums ten-minute buckets into rates per minute covered, samples at their worst", async () => {
    const { dashboard, from } = await inOneMinute(async () => {
      const from = await minute(-24 * 60);
      // The bucket [from+100, from+110): all ten minutes covered.
      const base = -24 * 60 + 100;
      await cover(base, base + 9);
      await seedCounts(base + 1, "qq", { delivered: 5, failed: 5, inbound: 2 });
      await seedCounts(base + 7, "qq", { delivered: 15, retried: 10 });
      await sample(base + 2, 4, 100);
      await sample(base + 8, 9, 50);
      // The next bucket: four minutes covered (the workers were down for the rest).
      await cover(base + 10, base + 13);
      await seedCounts(base + 11, "msn", { delivered: 8 });
      return { dashboard: await readDashboard(db, "day"), from };
    });

    expect(dashboard).toMatchObject({ range: "day", bucketMinutes: 10, from });
    expect(dashboard.points).toHaveLength(144);
    const bucket = dashboard.points.find((point) => point.at.getTime() === from.getTime() + 100 * 60_000)!;
    expect(bucket).toMatchObject({ coveredMinutes: 10, successRate: 0.8, queueDepth: 9, oldestDueMs: 100 });
    expect(network(bucket, "qq")).toEqual({ networkId: "qq", delivered: 2, failed: 0.5, retried: 1, inbound: 0.2 });
    const next = dashboard.points.find((point) => point.at.getTime() === from.getTime() + 110 * 60_000)!;
    expect(next).toMatchObject({ coveredMinutes: 4, queueDepth: null });
    expect(network(next, "msn")).toMatchObject({ delivered: 2 });
    expect(dashboard.totals).toMatchObject({ delivered: 28, failed: 5, retried: 10, inbound: 2, coveredMinutes: 14 });
    expect(network(dashboard.totals, "qq")).toMatchObject({ delivered: 20 / 14 });
  });
});

describe("the last finished minute", () => {
  it("has the same figures as that minute's point on the dashboard", async () => {
    const { last, dashboard } = await inOneMinute(async () => {
      await cover(-30, 0);
      await seedCounts(-1, "qq", { delivered: 9, failed: 3, retried: 1, inbound: 2 });
      await seedCounts(-1, "msn", { delivered: 1 });
      await sample(-1, 6, 2_500);
      // The current minute is not finished: not the last minute.
      await seedCounts(0, "qq", { delivered: 100 });
      return { last: await readLastMinute(db), dashboard: await readDashboard(db, "hour") };
    });

    expect(last).not.toBeNull();
    expect(last!.at).toEqual(await minute(-1));
    expect(last!.counts.find((row) => row.networkId === "qq")).toEqual({
      networkId: "qq",
      delivered: 9,
      failed: 3,
      retried: 1,
      inbound: 2,
    });
    const { at: _at, coveredMinutes: _covered, ...point } = await pointAt(dashboard, -1);
    const { at: _lastAt, counts: _counts, ...figures } = last!;
    expect(figures).toEqual(point);
    expect(figures).toMatchObject({ successRate: 10 / 13, queueDepth: 6, oldestDueMs: 2_500 });
  });

  it("is none when no minute of the last hour is covered", async () => {
    expect(
      await inOneMinute(async () => {
        await cover(-90, -61);
        return readLastMinute(db);
      }),
    ).toBeNull();
  });
});
