import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { TDb } from "./db";
import {
  isMetricsAuthorized,
  metrics,
  procedureLabels,
  scrapeMetrics,
  serveMetrics,
  setQueueDatabase,
  timeVendorCall,
} from "./metrics";

const TOKEN = "metrics-token-0123456789";

/** The queue's query answered from memory (the integration test runs it on Postgres). */
const fakeQueueDb = {
  $queryRaw: async () => [{ kind: "sync-account", due: 3, oldest: 12.5 }],
} as unknown as TDb;
setQueueDatabase(fakeQueueDb);

const METRIC_NAMES = [
  "oneprofile_deliveries_total",
  "oneprofile_vendor_attempt_seconds",
  "oneprofile_jobs_queue_depth",
  "oneprofile_jobs_oldest_due_seconds",
  "oneprofile_inbound_events_total",
  "oneprofile_http_request_seconds",
];

describe("isMetricsAuthorized", () => {
  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Basic ${TOKEN}`, false],
    [TOKEN, false],
    ["Bearer ", false],
    ["", false],
    [null, false],
  ])("%s → %s", (header, expected) => {
    expect(isMetricsAuthorized(header, TOKEN)).toBe(expected);
  });
});

describe("scrapeMetrics", () => {
  it("is 404 when no token is configured (metrics off), whatever is sent", async () => {
    expect((await scrapeMetrics(`Bearer ${TOKEN}`, undefined)).status).toBe(404);
    expect((await scrapeMetrics(null, undefined)).body).not.toContain("oneprofile_");
  });

  it("is 401 without the right token, and shows nothing", async () => {
    for (const header of [null, "Bearer wrong-token-0123456789"]) {
      const answer = await scrapeMetrics(header, TOKEN);
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(answer.body).not.toContain("oneprofile_");
    }
  });

  it("serves every metric to the right token, the queue read at scrape time, no token echoed", async () => {
    const answer = await scrapeMetrics(`Bearer ${TOKEN}`, TOKEN);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toContain("text/plain");
    for (const name of METRIC_NAMES) expect(answer.body).toContain(`# TYPE ${name} `);
    expect(answer.body).toContain('oneprofile_jobs_queue_depth{kind="sync-account"} 3');
    expect(answer.body).toContain('oneprofile_jobs_queue_depth{kind="inbound-event"} 0');
    expect(answer.body).toContain("oneprofile_jobs_oldest_due_seconds 12.5");
    expect(answer.body).toContain("process_cpu_user_seconds_total");
    expect(answer.body).not.toContain(TOKEN);
  });

  it("still serves the rest when the queue cannot be read", async () => {
    setQueueDatabase({
      $queryRaw: async () => {
        throw new Error("connect ECONNREFUSED");
      },
    } as unknown as TDb);
    try {
      const answer = await scrapeMetrics(`Bearer ${TOKEN}`, TOKEN);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain("# TYPE oneprofile_deliveries_total counter");
      expect(answer.body).not.toContain("oneprofile_jobs_queue_depth{");
    } finally {
      setQueueDatabase(fakeQueueDb);
    }
  });
});

describe("timeVendorCall", () => {
  const samples = async (network: string) =>
    (await metrics.vendorAttemptSeconds.get()).values.find(
      (value) => value.metricName === "oneprofile_vendor_attempt_seconds_count" && value.labels.network === network,
    )?.value ?? 0;

  it("observes each call, failed ones too", async () => {
    const before = await samples("timing-test");
    expect(await timeVendorCall("timing-test", async () => "ok")).toBe("ok");
    await expect(
      timeVendorCall("timing-test", async () => {
        throw new Error("timeout");
      }),
    ).rejects.toThrow("timeout");
    expect(await samples("timing-test")).toBe(before + 2);
  });
});

describe("procedureLabels", () => {
  const known = new Set(["profile.get", "activity.list"]);
  it.each([
    ["http://x/api/trpc/profile.get?input=%7B%7D", ["profile.get"]],
    ["http://x/api/trpc/profile.get,activity.list,profile.get?batch=1", ["profile.get", "activity.list"]],
    ["http://x/api/trpc/profile.get%2Cactivity.list?batch=1", ["profile.get", "activity.list"]],
    ["http://x/api/trpc/whatever.someone.types", ["unknown"]],
    ["http://x/api/trpc/%E0%A4%A", ["unknown"]],
    ["http://x/elsewhere", ["unknown"]],
  ])("%s", (url, expected) => {
    expect(procedureLabels(url, "/api/trpc", known)).toEqual(expected);
  });
});

describe("serveMetrics", () => {
  it("serves GET /metrics behind the token on its own port, nothing else", async () => {
    const server = await serveMetrics({ port: 0, host: "127.0.0.1", token: TOKEN });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("oneprofile_deliveries_total");
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
