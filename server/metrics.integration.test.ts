/**
 * The rollup's gauges on /api/metrics, read at scrape time from real Postgres through the
 * dashboard's own definitions: a scrape shows the last finished minute's figures, and shows none
 * when no worker has written the rollup lately.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTestDb } from "../test/database";
import { readDashboard } from "./data/metrics";
import { scrapeMetrics, setQueueDatabase } from "./metrics";

const { db } = await setupTestDb();
setQueueDatabase(db);
const TOKEN = "metrics-token-0123456789";

async function minute(offset: number): Promise<Date> {
  const [row] = await db.$queryRaw<Array<{ at: Date }>>`
    SELECT date_bin('1 minute', now(), TIMESTAMPTZ '2000-01-01 00:00:00+00') + make_interval(mins => ${offset}) AS at`;
  return row!.at;
}

/** The value of one sample line (name with its labels, as Prometheus' text format writes it). */
function valueOf(body: string, series: string): number | undefined {
  const line = body.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

afterEach(async () => {
  await db.$executeRaw`TRUNCATE metric_minutes, metric_samples`;
});

describe("the rollup's gauges", () => {
  it("show the last finished minute, as the dashboard counts it", async () => {
    let body = "";
    let last = new Date(0);
    for (;;) {
      await db.$executeRaw`TRUNCATE metric_minutes, metric_samples`;
      const now = await minute(0);
      last = await minute(-1);
      await db.metricSample.createMany({
        data: [
          { minute: await minute(-2), queueDepth: 50, oldestDueMs: 90_000n },
          { minute: last, queueDepth: 4, oldestDueMs: 1_500n },
          { minute: now, queueDepth: 1000, oldestDueMs: 1n },
        ],
      });
      await db.metricMinute.createMany({
        data: [
          { minute: last, networkId: "qq", delivered: 6, failed: 2, retried: 3, inbound: 1 },
          { minute: last, networkId: "msn", delivered: 2, inbound: 5 },
          { minute: now, networkId: "qq", delivered: 100 },
        ],
      });
      body = (await scrapeMetrics(`Bearer ${TOKEN}`, TOKEN)).body;
      if ((await minute(0)).getTime() === now.getTime()) break;
    }

    expect(valueOf(body, "oneprofile_minute_timestamp_seconds")).toBe(last.getTime() / 1000);
    expect(valueOf(body, 'oneprofile_minute_deliveries{network="qq",result="delivered"}')).toBe(6);
    expect(valueOf(body, 'oneprofile_minute_deliveries{network="qq",result="failed"}')).toBe(2);
    expect(valueOf(body, 'oneprofile_minute_deliveries{network="qq",result="retried"}')).toBe(3);
    expect(valueOf(body, 'oneprofile_minute_deliveries{network="msn",result="delivered"}')).toBe(2);
    expect(valueOf(body, 'oneprofile_minute_inbound_events{network="msn"}')).toBe(5);
    expect(valueOf(body, "oneprofile_minute_delivery_success_ratio")).toBe(0.8);
    expect(valueOf(body, "oneprofile_minute_queue_depth")).toBe(4);
    expect(valueOf(body, "oneprofile_minute_oldest_due_seconds")).toBe(1.5);

    // The dashboard's point for that minute says the same.
    const point = (await readDashboard(db, "hour")).points.find(
      (candidate) => candidate.at.getTime() === last.getTime(),
    );
    expect(point).toMatchObject({ successRate: 0.8, queueDepth: 4, oldestDueMs: 1_500 });
    expect(point!.byNetwork.find((row) => row.networkId === "qq")).toMatchObject({ delivered: 6, failed: 2 });
  });

  it("say nothing (no stale value) when no minute of the last hour is covered", async () => {
    await db.metricSample.create({ data: { minute: await minute(-120), queueDepth: 8 } });
    const answer = await scrapeMetrics(`Bearer ${TOKEN}`, TOKEN);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("# TYPE oneprofile_minute_queue_depth gauge");
    expect(answer.body).not.toMatch(/^oneprofile_minute_\w+(\{[^}]*\})? /m);
    // The live queue gauges still serve.
    expect(answer.body).toMatch(/^oneprofile_jobs_oldest_due_seconds 0$/m);
  });
});
