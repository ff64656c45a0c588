/**
 * The operations figures (issue 17), each defined once, over the per-minute rollup the worker
 * writes (server/dispatch/jobs/metric-minutes.ts): the admin dashboard and /api/metrics both read
 * them here, so a chart and a gauge never disagree about what they count.
 *
 * A span of minutes (one minute, a chart's bucket, a whole range) is first aggregated the same way
 * — counts summed, queue samples at their worst, covered minutes counted — then `figuresOf` turns
 * it into the figures:
 * - deliveries per minute, per network: delivered, failed for good, put back for another try;
 * - success rate: of the deliveries that ended (delivered or failed for good), the share
 *   delivered; null when none ended (retries are not endings: they show on their own);
 * - queue depth: due pending jobs (`readQueue`), the deepest sampled;
 * - oldest due age: how long the oldest due job had waited, the longest sampled;
 * - inbound events per minute, per network: network reports received.
 * Rates are per minute the rollup covers: minutes no worker wrote (an outage long ago) are unknown,
 * not zero, and a span with none has no figures.
 */
import type { TDb } from "../db";
import { Prisma } from "../generated/prisma/client";

type TExecutor = Pick<TDb, "$queryRaw">;

/** The origin of every minute boundary (any whole minute in UTC would do; the rollup's CHECKs use it). */
const ORIGIN = Prisma.sql`TIMESTAMPTZ '2000-01-01 00:00:00+00'`;
const MINUTE_MS = 60_000;

/** The dashboard's ranges: how far back, and how many minutes one point of a chart sums up. */
export const METRIC_RANGES = {
  hour: { minutes: 60, bucketMinutes: 1 },
  day: { minutes: 24 * 60, bucketMinutes: 10 },
} as const;
export type TMetricRange = keyof typeof METRIC_RANGES;

/** What one delivery can become in a minute, as counted by the rollup. */
export const DELIVERY_RESULTS = ["delivered", "failed", "retried"] as const;
export type TDeliveryResult = (typeof DELIVERY_RESULTS)[number];

export interface TQueueNow {
  /** Due pending jobs, by kind. */
  depth: Map<string, number>;
  /** How long the oldest due job has waited, in ms (0 when none is due). */
  oldestDueMs: number;
}

/**
 * The queue right now: pending jobs due by now, per kind, and the oldest one's wait. One range of
 * the jobs(state, run_at, seq) index. The live gauges serve it, and the rollup samples it.
 */
export async function readQueue(db: TExecutor): Promise<TQueueNow> {
  const rows = await db.$queryRaw<Array<{ kind: string; due: number; oldest: number }>>`
    SELECT kind, count(*)::int AS due, EXTRACT(EPOCH FROM now() - min(run_at))::float8 AS oldest
    FROM jobs WHERE state = 'PENDING' AND run_at <= now()
    GROUP BY kind`;
  return {
    depth: new Map(rows.map((row) => [row.kind, row.due])),
    oldestDueMs: Math.max(0, ...rows.map((row) => row.oldest)) * 1000,
  };
}

/** One network's counts over a span. */
export interface TNetworkCounts {
  networkId: string;
  delivered: number;
  failed: number;
  retried: number;
  inbound: number;
}

/** A span of minutes, aggregated: what every figure is computed from. */
export interface TSpan {
  at: Date;
  /** Minutes of the span the rollup covers (0: nothing known about it). */
  coveredMinutes: number;
  byNetwork: TNetworkCounts[];
  /** The deepest queue and the longest wait sampled in it (null: none sampled). */
  queueDepth: number | null;
  oldestDueMs: number | null;
}

export interface TNetworkFigures {
  networkId: string;
  /** Per minute covered. */
  delivered: number;
  failed: number;
  retried: number;
  inbound: number;
}

export interface TFigures {
  /** Per network, per minute covered (empty when the span is not covered). */
  byNetwork: TNetworkFigures[];
  successRate: number | null;
  queueDepth: number | null;
  oldestDueMs: number | null;
}

/** The success rate of counts: delivered over delivered and failed for good; null when none ended. */
export function successRate(counts: { delivered: number; failed: number }): number | null {
  const ended = counts.delivered + counts.failed;
  return ended === 0 ? null : counts.delivered / ended;
}

/** Every figure of a span (see the module's header): the one definition the dashboard and gauges use. */
export function figuresOf(span: TSpan): TFigures {
  const minutes = span.coveredMinutes;
  const total = sumCounts(span.byNetwork);
  return {
    byNetwork:
      minutes === 0
        ? []
        : span.byNetwork.map((counts) => ({
            networkId: counts.networkId,
            delivered: counts.delivered / minutes,
            failed: counts.failed / minutes,
            retried: counts.retried / minutes,
            inbound: counts.inbound / minutes,
          })),
    successRate: successRate(total),
    queueDepth: span.queueDepth,
    oldestDueMs: span.oldestDueMs,
  };
}

function sumCounts(rows: readonly Omit<TNetworkCounts, "networkId">[]) {
  const total = { delivered: 0, failed: 0, retried: 0, inbound: 0 };
  for (const row of rows) {
    total.delivered += row.delivered;
    total.failed += row.failed;
    total.retried += row.retried;
    total.inbound += row.inbound;
  }
  return total;
}

const maxOf = (values: ReadonlyArray<number | null>): number | null =>
  values.reduce<number | null>((worst, value) => (value === null ? worst : Math.max(worst ?? value, value)), null);

/** Spans merged into one (a range's totals from its buckets): counts add, samples keep the worst. */
export function mergeSpans(at: Date, spans: readonly TSpan[], networkIds: readonly string[]): TSpan {
  return {
    at,
    coveredMinutes: spans.reduce((sum, span) => sum + span.coveredMinutes, 0),
    byNetwork: networkIds.map((networkId) => ({
      networkId,
      ...sumCounts(spans.flatMap((span) => span.byNetwork.filter((row) => row.networkId === networkId))),
    })),
    queueDepth: maxOf(spans.map((span) => span.queueDepth)),
    oldestDueMs: maxOf(spans.map((span) => span.oldestDueMs)),
  };
}

/** The current minute's start by the database's clock (the rollup's writer uses the same one). */
async function currentMinute(db: TExecutor): Promise<Date> {
  const [row] = await db.$queryRaw<Array<{ minute: Date }>>`
    SELECT date_bin('1 minute', now(), ${ORIGIN}) AS minute`;
  return row!.minute;
}

/**
 * The spans of [from, to) in buckets of `bucketMinutes` (aligned on `from`), every bucket present,
 * each with every network of `networks` and any other the rows name (all listed in `networkIds`).
 */
export async function readSpans(
  db: TExecutor,
  window: { from: Date; to: Date; bucketMinutes: number },
  networks: readonly string[],
): Promise<{ spans: TSpan[]; networkIds: string[] }> {
  const bucket = Prisma.sql`make_interval(mins => ${window.bucketMinutes})`;
  const from = Prisma.sql`${window.from.toISOString()}::timestamptz`;
  const to = Prisma.sql`${window.to.toISOString()}::timestamptz`;
  const [counts, samples] = await Promise.all([
    db.$queryRaw<Array<TNetworkCounts & { at: Date }>>`
      SELECT date_bin(${bucket}, minute, ${from}) AS at, network_id AS "networkId",
        sum(delivered)::int AS delivered, sum(failed)::int AS failed,
        sum(retried)::int AS retried, sum(inbound)::int AS inbound
      FROM metric_minutes WHERE minute >= ${from} AND minute < ${to}
      GROUP BY 1, 2`,
    db.$queryRaw<Array<{ at: Date; covered: number; queueDepth: number | null; oldestDueMs: number | null }>>`
      SELECT date_bin(${bucket}, minute, ${from}) AS at, count(*)::int AS covered,
        max(queue_depth)::int AS "queueDepth", max(oldest_due_ms)::float8 AS "oldestDueMs"
      FROM metric_samples WHERE minute >= ${from} AND minute < ${to}
      GROUP BY 1`,
  ]);
  const networkIds = [...new Set([...networks, ...counts.map((row) => row.networkId)])];
  const bucketMs = window.bucketMinutes * MINUTE_MS;
  const sampleAt = new Map(samples.map((row) => [row.at.getTime(), row]));
  const countsAt = new Map<string, TNetworkCounts>(counts.map((row) => [`${row.at.getTime()}|${row.networkId}`, row]));
  const spans: TSpan[] = [];
  for (let at = window.from.getTime(); at < window.to.getTime(); at += bucketMs) {
    const sample = sampleAt.get(at);
    spans.push({
      at: new Date(at),
      coveredMinutes: sample?.covered ?? 0,
      byNetwork: networkIds.map((networkId) => {
        const row = countsAt.get(`${at}|${networkId}`);
        return {
          networkId,
          delivered: row?.delivered ?? 0,
          failed: row?.failed ?? 0,
          retried: row?.retried ?? 0,
          inbound: row?.inbound ?? 0,
        };
      }),
      queueDepth: sample?.queueDepth ?? null,
      oldestDueMs: sample?.oldestDueMs ?? null,
    });
  }
  return { spans, networkIds };
}

/** Networks worth a line even when quiet: switched on and working (not "coming soon"). */
async function liveNetworks(db: TExecutor): Promise<Array<{ id: string; displayName: string }>> {
  return db.$queryRaw<Array<{ id: string; displayName: string }>>`
    SELECT id, display_name AS "displayName" FROM networks
    WHERE is_enabled AND has_connector ORDER BY sort_order, id`;
}

async function displayNames(db: TExecutor, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await db.$queryRaw<Array<{ id: string; displayName: string }>>`
    SELECT id, display_name AS "displayName" FROM networks WHERE id = ANY(${ids}::text[])`;
  return new Map(rows.map((row) => [row.id, row.displayName]));
}

export interface TDashboardPoint extends TFigures {
  at: Date;
  coveredMinutes: number;
}

export interface TDashboard {
  range: TMetricRange;
  bucketMinutes: number;
  /** The range: [from, to), to being the start of the current (unfinished) minute. */
  from: Date;
  to: Date;
  networks: Array<{ id: string; displayName: string }>;
  points: TDashboardPoint[];
  /** The whole range: counts (not rates) and the figures over it. */
  totals: TDashboardPoint & Omit<TNetworkCounts, "networkId">;
  /** The last minute covered: the queue as last sampled (null: no minute covered in the range). */
  latest: { at: Date; queueDepth: number | null; oldestDueMs: number | null } | null;
}

/** The admin dashboard over a range: a point per bucket, the totals, the latest sample. */
export async function readDashboard(db: TExecutor, range: TMetricRange): Promise<TDashboard> {
  const { minutes, bucketMinutes } = METRIC_RANGES[range];
  const to = await currentMinute(db);
  const from = new Date(to.getTime() - minutes * MINUTE_MS);
  const live = await liveNetworks(db);
  const [{ spans, networkIds }, { spans: minuteSpans }] = await Promise.all([
    readSpans(
      db,
      { from, to, bucketMinutes },
      live.map((network) => network.id),
    ),
    // The latest sample is a minute's, whatever the buckets: the last few minutes, read alone.
    readSpans(db, { from: new Date(to.getTime() - Math.min(minutes, 15) * MINUTE_MS), to, bucketMinutes: 1 }, []),
  ]);
  const names = new Map(live.map((network) => [network.id, network.displayName]));
  const unnamed = networkIds.filter((id) => !names.has(id));
  if (unnamed.length > 0) for (const [id, name] of await displayNames(db, unnamed)) names.set(id, name);
  const total = mergeSpans(from, spans, networkIds);
  const latest = minuteSpans.findLast((span) => span.coveredMinutes > 0) ?? null;
  return {
    range,
    bucketMinutes,
    from,
    to,
    networks: networkIds.map((id) => ({ id, displayName: names.get(id) ?? id })),
    points: spans.map((span) => ({ at: span.at, coveredMinutes: span.coveredMinutes, ...figuresOf(span) })),
    totals: { at: from, coveredMinutes: total.coveredMinutes, ...sumCounts(total.byNetwork), ...figuresOf(total) },
    latest: latest && { at: latest.at, queueDepth: latest.queueDepth, oldestDueMs: latest.oldestDueMs },
  };
}

export interface TLastMinute extends TFigures {
  /** The minute's start. */
  at: Date;
  /** Its counts per network (for a minute, the same as the per-minute figures). */
  counts: TNetworkCounts[];
}

/**
 * The figures of the last finished minute the rollup covers (/api/metrics' gauges); null when it
 * covers none in the last hour (no worker has written it lately: the gauges then say nothing).
 */
export async function readLastMinute(db: TExecutor): Promise<TLastMinute | null> {
  const [row] = await db.$queryRaw<Array<{ minute: Date | null }>>`
    SELECT max(minute) AS minute FROM metric_samples
    WHERE minute < date_bin('1 minute', now(), ${ORIGIN}) AND minute >= now() - interval '1 hour'`;
  const minute = row?.minute;
  if (!(minute instanceof Date)) return null;
  const live = await liveNetworks(db);
  const {
    spans: [span],
  } = await readSpans(
    db,
    { from: minute, to: new Date(minute.getTime() + MINUTE_MS), bucketMinutes: 1 },
    live.map((network) => network.id),
  );
  return { at: minute, counts: span!.byNetwork, ...figuresOf(span!) };
}

/** Each network's success rate over the last hour (the Networks page), by the same definition. */
export async function readSuccessLastHour(
  db: TExecutor,
): Promise<Map<string, { successRate: number | null; delivered: number; failed: number }>> {
  const to = await currentMinute(db);
  const from = new Date(to.getTime() - 60 * MINUTE_MS);
  const { spans } = await readSpans(db, { from, to, bucketMinutes: 60 }, []);
  const rates = new Map<string, { successRate: number | null; delivered: number; failed: number }>();
  for (const counts of spans.flatMap((span) => span.byNetwork)) {
    const sum = rates.get(counts.networkId) ?? { successRate: null, delivered: 0, failed: 0 };
    sum.delivered += counts.delivered;
    sum.failed += counts.failed;
    sum.successRate = successRate(sum);
    rates.set(counts.networkId, sum);
  }
  return rates;
}
