import { describe, expect, it } from "vitest";
import {
  chartRows,
  formatDuration,
  formatNumber,
  formatPercent,
  hasDeliveries,
  peakOf,
  uncoveredSpans,
  type TDashboardData,
} from "./chart-data";

const at = (minute: number) => new Date(Date.UTC(2026, 11, 3, 10, minute));
const figures = (
  networkId: string,
  values: Partial<Record<"delivered" | "failed" | "retried" | "inbound", number>>,
) => ({
  networkId,
  delivered: 0,
  failed: 0,
  retried: 0,
  inbound: 0,
  ...values,
});

const DATA: TDashboardData = {
  range: "hour",
  bucketMinutes: 1,
  from: at(0),
  to: at(3),
  networks: [
    { id: "qq", displayName: "QQ" },
    { id: "msn", displayName: "MSN" },
  ],
  points: [
    {
      at: at(0),
      coveredMinutes: 1,
      byNetwork: [figures("qq", { delivered: 3, failed: 1, inbound: 2 }), figures("msn", { delivered: 1, retried: 2 })],
      successRate: 0.8,
      queueDepth: 5,
      oldestDueMs: 2_500,
    },
    // Nobody covered this minute: unknown.
    { at: at(1), coveredMinutes: 0, byNetwork: [], successRate: null, queueDepth: null, oldestDueMs: null },
    // Covered, quiet, and the network list has one the point does not name.
    {
      at: at(2),
      coveredMinutes: 1,
      byNetwork: [figures("qq", {})],
      successRate: null,
      queueDepth: 0,
      oldestDueMs: 0,
    },
  ],
  totals: {
    at: at(0),
    coveredMinutes: 2,
    byNetwork: [figures("qq", { delivered: 1.5 }), figures("msn", { delivered: 0.5 })],
    successRate: 0.8,
    queueDepth: 5,
    oldestDueMs: 2_500,
    delivered: 4,
    failed: 1,
    retried: 2,
    inbound: 2,
  },
  latest: { at: at(2), queueDepth: 0, oldestDueMs: 0 },
};

describe("chartRows", () => {
  it("lays out each point per network, with sums over networks, the rate in percent and the wait in seconds", () => {
    expect(chartRows(DATA)[0]).toEqual({
      at: at(0).getTime(),
      "delivered:qq": 3,
      "delivered:msn": 1,
      "inbound:qq": 2,
      "inbound:msn": 0,
      delivered: 4,
      inbound: 2,
      failed: 1,
      retried: 2,
      successPercent: 80,
      queueDepth: 5,
      oldestDueSeconds: 2.5,
    });
  });

  it("leaves a minute nobody covered unknown (a gap), and a quiet covered one at zero", () => {
    const [, gap, quiet] = chartRows(DATA);
    expect(gap).toEqual({
      at: at(1).getTime(),
      "delivered:qq": null,
      "delivered:msn": null,
      "inbound:qq": null,
      "inbound:msn": null,
      delivered: null,
      inbound: null,
      failed: null,
      retried: null,
      successPercent: null,
      queueDepth: null,
      oldestDueSeconds: null,
    });
    expect(quiet).toMatchObject({ "delivered:msn": 0, delivered: 0, successPercent: null, queueDepth: 0 });
  });
});

describe("uncoveredSpans", () => {
  it("joins the runs of points nobody covered into spans of time, each bucket whole", () => {
    expect(uncoveredSpans(DATA)).toEqual([{ from: at(1).getTime(), to: at(2).getTime() }]);
    const gap = DATA.points[1]!;
    const points = [gap, gap, DATA.points[0]!, gap, gap, gap].map((point, index) => ({ ...point, at: at(index) }));
    expect(uncoveredSpans({ ...DATA, points })).toEqual([
      { from: at(0).getTime(), to: at(2).getTime() },
      { from: at(3).getTime(), to: at(6).getTime() },
    ]);
    expect(uncoveredSpans({ ...DATA, bucketMinutes: 10, points: [{ ...gap, at: at(0) }] })).toEqual([
      { from: at(0).getTime(), to: at(10).getTime() },
    ]);
  });
});

describe("hasDeliveries", () => {
  it("is whether anything was delivered, failed or retried in the range", () => {
    expect(hasDeliveries(DATA)).toBe(true);
    const quiet = { ...DATA.totals, delivered: 0, failed: 0, retried: 0 };
    expect(hasDeliveries({ ...DATA, totals: quiet })).toBe(false);
    expect(hasDeliveries({ ...DATA, totals: { ...quiet, retried: 1 } })).toBe(true);
  });
});

describe("peakOf", () => {
  it("finds the first highest known value, ignoring gaps", () => {
    const rows = chartRows(DATA);
    expect(peakOf(rows, "queueDepth")).toEqual({ value: 5, at: at(0).getTime() });
    expect(peakOf(rows.slice(1, 2), "queueDepth")).toBeNull();
  });
});

describe("formatting", () => {
  it.each([
    [null, "—"],
    [0, "0"],
    [1234, "1,234"],
    [0.25, "0.3"],
    [2.04, "2"],
  ])("formatNumber(%s) is %s", (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it.each([
    [null, "—"],
    [1, "100%"],
    [0.975, "97.5%"],
    [0, "0%"],
  ])("formatPercent(%s) is %s", (value, text) => {
    expect(formatPercent(value)).toBe(text);
  });

  it.each([
    [null, "—"],
    [0, "0 s"],
    [420, "0.4 s"],
    [1_250, "1.3 s"],
    [42_400, "42 s"],
    [60_000, "1 min"],
    [185_000, "3 min 5 s"],
    [2 * 3_600_000, "2 h"],
    [2 * 3_600_000 + 10 * 60_000 + 30_000, "2 h 10 min"],
  ])("formatDuration(%s) is %s", (value, text) => {
    expect(formatDuration(value)).toBe(text);
  });
});
