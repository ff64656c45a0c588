/**
 * The dashboard's figures (admin.dashboard, defined in server/data/metrics.ts) laid out for the
 * charts and their screen-reader tables, and written out for people. Pure: no figure is computed
 * here, only summed across networks or reshaped; a minute nobody covered stays unknown (null), so
 * a chart shows a gap rather than a quiet minute.
 */
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type TDashboardData = inferRouterOutputs<AppRouter>["admin"]["dashboard"];
export type TRange = TDashboardData["range"];

/** One chart row: the bucket's start (ms) and its values; keys per network are `<figure>:<networkId>`. */
export type TChartRow = { at: number } & Record<string, number | null>;

export const seriesKey = (figure: "delivered" | "inbound", networkId: string) => `${figure}:${networkId}`;

/** Every point as a chart row: per-network series, their sums over networks, the rate and samples. */
export function chartRows(data: TDashboardData): TChartRow[] {
  return data.points.map((point) => {
    const isCovered = point.coveredMinutes > 0;
    const row: TChartRow = {
      at: point.at.getTime(),
      delivered: isCovered ? sum(point.byNetwork.map((network) => network.delivered)) : null,
      inbound: isCovered ? sum(point.byNetwork.map((network) => network.inbound)) : null,
      failed: isCovered ? sum(point.byNetwork.map((network) => network.failed)) : null,
      retried: isCovered ? sum(point.byNetwork.map((network) => network.retried)) : null,
      successPercent: point.successRate === null ? null : point.successRate * 100,
      queueDepth: point.queueDepth,
      oldestDueSeconds: point.oldestDueMs === null ? null : point.oldestDueMs / 1000,
    };
    for (const network of data.networks) {
      const figures = point.byNetwork.find((candidate) => candidate.networkId === network.id);
      row[seriesKey("delivered", network.id)] = isCovered ? (figures?.delivered ?? 0) : null;
      row[seriesKey("inbound", network.id)] = isCovered ? (figures?.inbound ?? 0) : null;
    }
    return row;
  });
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** The runs of points nobody covered, as [start, end) in ms: the charts shade them as "no figures". */
export function uncoveredSpans(data: TDashboardData): Array<{ from: number; to: number }> {
  const bucketMs = data.bucketMinutes * 60_000;
  const spans: Array<{ from: number; to: number }> = [];
  for (const point of data.points) {
    if (point.coveredMinutes > 0) continue;
    const start = point.at.getTime();
    const last = spans.at(-1);
    if (last && last.to === start) last.to = start + bucketMs;
    else spans.push({ from: start, to: start + bucketMs });
  }
  return spans;
}

/** Whether any delivery moved in the range (delivered, failed or retried). */
export function hasDeliveries(data: TDashboardData): boolean {
  return data.totals.delivered + data.totals.failed + data.totals.retried > 0;
}

export const RANGE_LABELS: Record<TRange, string> = { hour: "the last hour", day: "the last 24 hours" };

const oneDecimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

/** A count or a rate: whole numbers as they are, fractions to one decimal; "—" when unknown. */
export function formatNumber(value: number | null): string {
  if (value === null) return "—";
  return Number.isInteger(value) ? whole.format(value) : oneDecimal.format(value);
}

/** A share as a percentage ("97.5%", "100%"); "—" when unknown. */
export function formatPercent(share: number | null): string {
  return share === null ? "—" : `${oneDecimal.format(share * 100)}%`;
}

/** A wait, in the largest units that say it ("0 s", "0.4 s", "42 s", "3 min 5 s", "2 h 10 min"); "—" when unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  // Under ten seconds a tenth counts (a chart's ticks would otherwise all read "1 s").
  if (ms > 0 && ms < 9_950) return `${oneDecimal.format(ms / 1000)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** The largest known value of a series and when (the first such bucket), or null when none is known. */
export function peakOf(rows: readonly TChartRow[], key: string): { value: number; at: number } | null {
  let peak: { value: number; at: number } | null = null;
  for (const row of rows) {
    const value = row[key];
    if (value !== null && value !== undefined && (peak === null || value > peak.value)) peak = { value, at: row.at };
  }
  return peak;
}
