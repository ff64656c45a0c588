"use client";

import { useId, type ReactNode } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { cx } from "../../../_components/ui";
import type { TChartRow } from "./chart-data";

/**
 * The charts' colours, light and dark, as CSS variables on a wrapper: recharts draws with
 * `var(--…)`, and the page's colour scheme picks the set. Networks take the series colours in
 * order; failures and retries keep their own.
 */
export const CHART_COLORS = cx(
  "[--chart-gap:#f1f5f9] dark:[--chart-gap:#1e293b80] [--chart-grid:#e2e8f0] [--chart-text:#64748b] [--chart-tooltip:#ffffff] [--chart-tooltip-border:#cbd5e1]",
  "dark:[--chart-grid:#1e293b] dark:[--chart-text:#94a3b8] dark:[--chart-tooltip:#0f172a] dark:[--chart-tooltip-border:#334155]",
  "[--series-0:#4f46e5] [--series-1:#059669] [--series-2:#d97706] [--series-3:#0284c7] [--series-4:#db2777] [--series-5:#7c3aed]",
  "dark:[--series-0:#818cf8] dark:[--series-1:#34d399] dark:[--series-2:#fbbf24] dark:[--series-3:#38bdf8] dark:[--series-4:#f472b6] dark:[--series-5:#a78bfa]",
  "[--series-failed:#dc2626] [--series-retried:#ea580c] dark:[--series-failed:#f87171] dark:[--series-retried:#fb923c]",
);
export const seriesColor = (index: number) => `var(--series-${index % 6})`;

export interface TSeries {
  key: string;
  name: string;
  color: string;
}

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * One chart over time, as a figure: its title, the chart, a summary for screen readers and, for
 * them too, the same values as a table. A null value (a minute nobody covered) is a gap.
 */
export function TimeChart({
  title,
  summary,
  rows,
  series,
  kind,
  from,
  to,
  format,
  yMax,
  unit,
  gaps,
  allowDecimals = false,
}: {
  title: string;
  /** Says in words what the chart shows (read instead of the picture). */
  summary: string;
  rows: readonly TChartRow[];
  series: readonly TSeries[];
  kind: "stacked-area" | "line" | "stacked-bar";
  from: Date;
  to: Date;
  format: (value: number | null) => string;
  yMax?: number;
  /** The values' unit, for the table's headings ("per minute", "%", …). */
  unit: string;
  /** Spans of time nobody covered, shaded (their values are unknown, not zero). */
  gaps: ReadonlyArray<{ from: number; to: number }>;
  /** Ticks between whole numbers (a share, a wait); counts are whole. */
  allowDecimals?: boolean;
}) {
  const id = useId();
  const children: ReactNode[] = [
    ...gaps.map((gap) => (
      <ReferenceArea key={`gap-${gap.from}`} x1={gap.from} x2={gap.to} fill="var(--chart-gap)" fillOpacity={1} />
    )),
    <CartesianGrid key="grid" stroke="var(--chart-grid)" vertical={false} />,
    <XAxis
      key="x"
      dataKey="at"
      type="number"
      scale="time"
      domain={[from.getTime(), to.getTime()]}
      tickFormatter={(at: number) => time.format(at)}
      stroke="var(--chart-grid)"
      tick={{ fill: "var(--chart-text)", fontSize: 12 }}
      minTickGap={24}
    />,
    <YAxis
      key="y"
      width={44}
      // Counts are whole; a share or a wait may not be.
      allowDecimals={allowDecimals}
      domain={[0, yMax ?? "auto"]}
      tickFormatter={(value: number) => format(value)}
      stroke="var(--chart-grid)"
      tick={{ fill: "var(--chart-text)", fontSize: 12 }}
    />,
    <Tooltip
      key="tooltip"
      labelFormatter={(at) => dateTime.format(Number(at))}
      formatter={(value) => format(typeof value === "number" ? value : null)}
      contentStyle={{
        background: "var(--chart-tooltip)",
        borderColor: "var(--chart-tooltip-border)",
        borderRadius: 8,
        fontSize: 12,
      }}
    />,
  ];
  if (series.length > 1) children.push(<Legend key="legend" wrapperStyle={{ fontSize: 12 }} />);
  const common = {
    data: rows as TChartRow[],
    responsive: true,
    style: { width: "100%", height: 200 },
    margin: { top: 8, right: 8, bottom: 0, left: 0 },
    // Hidden from assistive technology (the table says it all), so nothing in it takes focus.
    accessibilityLayer: false,
  };
  const chart =
    kind === "stacked-area" ? (
      <AreaChart {...common}>
        {children}
        {series.map((line) => (
          <Area
            key={line.key}
            dataKey={line.key}
            name={line.name}
            stackId="all"
            type="linear"
            stroke={line.color}
            fill={line.color}
            fillOpacity={0.25}
            isAnimationActive={false}
          />
        ))}
      </AreaChart>
    ) : kind === "stacked-bar" ? (
      <BarChart {...common}>
        {children}
        {series.map((bar) => (
          <Bar
            key={bar.key}
            dataKey={bar.key}
            name={bar.name}
            stackId="all"
            fill={bar.color}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    ) : (
      <LineChart {...common}>
        {children}
        {series.map((line) => (
          <Line
            key={line.key}
            dataKey={line.key}
            name={line.name}
            type="linear"
            stroke={line.color}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    );

  return (
    <figure aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`} className="min-w-0">
      <figcaption id={`${id}-title`} className="text-sm font-semibold">
        {title}
      </figcaption>
      <p id={`${id}-summary`} className="sr-only" suppressHydrationWarning>
        {summary}
      </p>
      {/* The picture; the table below says the same to a screen reader. */}
      <div className="mt-2" aria-hidden>
        {chart}
      </div>
      {/* A table will not shrink to sr-only's 1px itself: its wrapper does. */}
      <div className="sr-only">
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {series.map((column) => (
                <th key={column.key} scope="col">
                  {column.name} ({unit})
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.at}>
                <th scope="row" suppressHydrationWarning>
                  {dateTime.format(row.at)}
                </th>
                {series.map((column) => (
                  <td key={column.key}>{format(row[column.key] ?? null)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
