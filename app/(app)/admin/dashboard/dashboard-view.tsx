"use client";

import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useTRPC } from "../../../_components/trpc-provider";
import { Alert, Card, cx, LoadFailed } from "../../../_components/ui";
import {
  chartRows,
  formatDuration,
  formatNumber,
  formatPercent,
  hasDeliveries,
  peakOf,
  RANGE_LABELS,
  uncoveredSpans,
  seriesKey,
  type TChartRow,
  type TDashboardData,
  type TRange,
} from "./chart-data";
import { CHART_COLORS, seriesColor, TimeChart } from "./time-chart";

const RANGES: ReadonlyArray<{ value: TRange; label: string }> = [
  { value: "hour", label: "Last hour" },
  { value: "day", label: "Last 24 hours" },
];
const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The operations dashboard: headline figures and charts over the last hour or day, refreshed every 10 s. */
export function DashboardView() {
  const trpc = useTRPC();
  const [range, setRange] = useState<TRange>("hour");
  const dashboard = useQuery({ ...trpc.admin.dashboard.queryOptions({ range }), refetchInterval: 10_000 });

  return (
    <div className="space-y-6">
      <div
        role="group"
        aria-label="Time range"
        className="inline-flex rounded-lg border border-slate-300 p-0.5 dark:border-slate-700"
      >
        {RANGES.map((option) => (
          <button
            key={option.value}
            type="button"
            aria-pressed={range === option.value}
            onClick={() => setRange(option.value)}
            className={cx(
              "rounded-md px-3 py-1.5 text-sm font-medium",
              "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500",
              range === option.value
                ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900"
                : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
            )}
          >
            {option.label}
          </button>
        ))}
      </div>
      <div aria-busy={dashboard.isFetching}>
        {dashboard.isPending ? (
          <Loading />
        ) : dashboard.data ? (
          <Figures
            data={dashboard.data}
            refreshError={dashboard.isError ? dashboard.error.message : null}
            onRetry={() => void dashboard.refetch()}
          />
        ) : (
          <LoadFailed
            message={dashboard.error?.message ?? "The dashboard could not be loaded."}
            onRetry={() => void dashboard.refetch()}
          />
        )}
      </div>
    </div>
  );
}

function Loading() {
  return (
    <div className="space-y-6" role="status">
      <span className="sr-only">Loading the dashboard…</span>
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-5" aria-hidden>
        {Array.from({ length: 5 }, (_, index) => (
          <div key={index} className="h-24 animate-pulse rounded-2xl bg-slate-200 dark:bg-slate-800" />
        ))}
      </div>
      <div className="grid gap-4 lg:grid-cols-2" aria-hidden>
        {Array.from({ length: 4 }, (_, index) => (
          <div key={index} className="h-64 animate-pulse rounded-2xl bg-slate-200 dark:bg-slate-800" />
        ))}
      </div>
    </div>
  );
}

function Headline({ label, value, detail }: { label: string; value: string; detail: string }) {
  return (
    <div className="rounded-2xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
      {/* Times are in the browser's zone, which the server rendering it first may not share. */}
      <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400" suppressHydrationWarning>
        {detail}
      </dd>
    </div>
  );
}

const perMinute = (figures: ReadonlyArray<{ delivered: number; inbound: number }>, key: "delivered" | "inbound") =>
  figures.reduce((sum, network) => sum + network[key], 0);

/** " The highest was 12 per minute, at 10:32.", or nothing when the series has no known value. */
function peakText(rows: readonly TChartRow[], key: string, format: (value: number) => string): string {
  const peak = peakOf(rows, key);
  return peak ? ` The highest was ${format(peak.value)}, at ${time.format(peak.at)}.` : "";
}

function Figures({
  data,
  refreshError,
  onRetry,
}: {
  data: TDashboardData;
  refreshError: string | null;
  onRetry: () => void;
}) {
  const rows = chartRows(data);
  const gaps = uncoveredSpans(data);
  const rangeLabel = RANGE_LABELS[data.range];
  const { totals, latest } = data;
  const per = data.bucketMinutes === 1 ? "per minute" : `per minute (${data.bucketMinutes}-minute averages)`;
  const networkSeries = (figure: "delivered" | "inbound") =>
    data.networks.map((network, index) => ({
      key: seriesKey(figure, network.id),
      name: network.displayName,
      color: seriesColor(index),
    }));
  return (
    <div className={cx("space-y-6", CHART_COLORS)}>
      {refreshError && (
        <div className="space-y-2">
          <Alert>
            Could not refresh the figures ({refreshError}). Showing them up to {time.format(data.to)}.
          </Alert>
          <button
            type="button"
            className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300"
            onClick={onRetry}
          >
            Try again now
          </button>
        </div>
      )}
      {totals.coveredMinutes === 0 && (
        <Alert tone="info">
          Nothing has been recorded for {rangeLabel}. A worker writes these figures every 20 seconds: is one running?
        </Alert>
      )}
      <dl className="grid grid-cols-2 gap-4 lg:grid-cols-5">
        <Headline
          label="Delivered"
          value={formatNumber(totals.delivered)}
          detail={`${formatNumber(perMinute(totals.byNetwork, "delivered"))} per minute, ${rangeLabel}`}
        />
        <Headline
          label="Success rate"
          value={formatPercent(totals.successRate)}
          detail={`${formatNumber(totals.failed)} failed for good, ${formatNumber(totals.retried)} retried`}
        />
        <Headline
          label="Queue depth"
          value={formatNumber(latest?.queueDepth ?? null)}
          detail={latest ? `due jobs at ${time.format(latest.at)}` : "no recent sample"}
        />
        <Headline
          label="Oldest due job"
          value={formatDuration(latest?.oldestDueMs ?? null)}
          detail={latest ? `waiting at ${time.format(latest.at)}` : "no recent sample"}
        />
        <Headline
          label="Inbound events"
          value={formatNumber(totals.inbound)}
          detail={`${formatNumber(perMinute(totals.byNetwork, "inbound"))} per minute, ${rangeLabel}`}
        />
      </dl>
      {gaps.length > 0 && totals.coveredMinutes > 0 && (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Shaded: times with no figures (no worker wrote them), unknown rather than quiet.
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card className="p-4 lg:col-span-2">
          {hasDeliveries(data) ? (
            <TimeChart
              title={`Deliveries delivered ${per}, by network`}
              summary={`${formatNumber(totals.delivered)} deliveries delivered in ${rangeLabel}.${peakText(rows, "delivered", (value) => `${formatNumber(value)} per minute`)}`}
              rows={rows}
              series={networkSeries("delivered")}
              kind="stacked-area"
              from={data.from}
              to={data.to}
              format={formatNumber}
              unit="per minute"
              gaps={gaps}
            />
          ) : (
            <NothingToChart title={`Deliveries ${per}, by network`}>No deliveries in {rangeLabel}.</NothingToChart>
          )}
        </Card>
        <Card className="p-4">
          {totals.successRate === null ? (
            <NothingToChart title="Success rate">No delivery ended in {rangeLabel}.</NothingToChart>
          ) : (
            <TimeChart
              title="Success rate"
              summary={`Of the deliveries that ended in ${rangeLabel}, ${formatPercent(totals.successRate)} were delivered (${formatNumber(totals.failed)} failed for good).`}
              rows={rows}
              series={[{ key: "successPercent", name: "Delivered of those ended", color: seriesColor(1) }]}
              kind="line"
              from={data.from}
              to={data.to}
              format={(value) => (value === null ? "—" : `${formatNumber(value)}%`)}
              allowDecimals
              yMax={100}
              unit="%"
              gaps={gaps}
            />
          )}
        </Card>
        <Card className="p-4">
          <TimeChart
            title={`Failed and retried ${per}`}
            summary={`${formatNumber(totals.failed)} deliveries failed for good and ${formatNumber(totals.retried)} were put back for another try in ${rangeLabel}.`}
            rows={rows}
            series={[
              { key: "failed", name: "Failed for good", color: "var(--series-failed)" },
              { key: "retried", name: "Retried", color: "var(--series-retried)" },
            ]}
            kind="stacked-bar"
            from={data.from}
            to={data.to}
            format={formatNumber}
            unit="per minute"
            gaps={gaps}
          />
        </Card>
        <Card className="p-4">
          <TimeChart
            title="Queue depth (due jobs, deepest sampled)"
            summary={`Latest: ${formatNumber(latest?.queueDepth ?? null)} due jobs.${peakText(rows, "queueDepth", formatNumber)}`}
            rows={rows}
            series={[{ key: "queueDepth", name: "Due jobs", color: seriesColor(0) }]}
            kind="line"
            from={data.from}
            to={data.to}
            format={formatNumber}
            unit="jobs"
            gaps={gaps}
          />
        </Card>
        <Card className="p-4">
          <TimeChart
            title="Oldest due job's wait (longest sampled)"
            summary={`Latest: ${formatDuration(latest?.oldestDueMs ?? null)}.${peakText(rows, "oldestDueSeconds", (value) => formatDuration(value * 1000))}`}
            rows={rows}
            series={[{ key: "oldestDueSeconds", name: "Wait", color: seriesColor(2) }]}
            kind="line"
            from={data.from}
            to={data.to}
            format={(value) => formatDuration(value === null ? null : value * 1000)}
            allowDecimals
            unit="time waited"
            gaps={gaps}
          />
        </Card>
        <Card className="p-4 lg:col-span-2">
          <TimeChart
            title={`Inbound events ${per}, by network`}
            summary={`${formatNumber(totals.inbound)} network reports received in ${rangeLabel}.${peakText(rows, "inbound", (value) => `${formatNumber(value)} per minute`)}`}
            rows={rows}
            series={networkSeries("inbound")}
            kind="stacked-area"
            from={data.from}
            to={data.to}
            format={formatNumber}
            unit="per minute"
            gaps={gaps}
          />
        </Card>
      </div>
    </div>
  );
}

/** A chart's place when there is nothing to draw: its title and why. */
function NothingToChart({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div>
      <h2 className="text-sm font-semibold">{title}</h2>
      <p className="py-12 text-center text-sm text-slate-600 dark:text-slate-400">{children}</p>
    </div>
  );
}
