/**
 * The metric rollup (issue 17): per minute and network, deliveries that became delivered, failed
 * for good or were put back for another try, and network reports received; per minute, the job
 * queue as sampled. The admin dashboard and /api/metrics read it through server/data/metrics.ts.
 *
 * Each run, in one transaction on the database's clock:
 * - recomputes the counts of the recent minutes from the source tables, replacing what was there:
 *   deliveries by `delivered_at` (through the deliveries(state, updated_at) index: a delivered row's
 *   `updated_at` is never before it), the delivery_failures log (a trigger writes it as a delivery
 *   turns RETRYING or FAILED: the one event the deliveries table forgets), inbound_events by
 *   `received_at`. A second worker or a restart writes the same numbers again, never more.
 *   "Recent" is the last SETTLE_MINUTES and the current minute: those times are when their
 *   transaction began, so a row can still appear in a minute after it ended. Older minutes are
 *   history and stay as written (a failed delivery retried by support later is still a failure of
 *   its minute). After an outage, the minutes since the last run are filled in too, up to
 *   BACKFILL_MINUTES back;
 * - marks every minute it computed as covered (a metric_samples row), so a minute nobody wrote
 *   reads as unknown rather than as a quiet minute;
 * - samples the queue into the current minute's row, keeping the deepest and the longest wait seen
 *   in that minute (so concurrent samplers agree, whatever their order).
 *
 * It runs as a scheduled job on every worker (one at a time: the advisory lock), every
 * METRIC_MINUTES_EVERY_MS, so the last finished minute is complete within that long after it ends.
 */
import type { TDb, TTx } from "../../db";
import { readQueue } from "../../data/metrics";
import { Prisma } from "../../generated/prisma/client";
import { defineScheduledJob } from "../define-job";

/** A run every 20 s: three queue samples a minute, and a finished minute's counts soon after it ends. */
export const METRIC_MINUTES_EVERY_MS = 20_000;
/** How long after it ends a minute is still recomputed: longer than any transaction that writes deliveries. */
export const SETTLE_MINUTES = 5;
/** After an outage, minutes filled in at most: well within what the source tables keep (a day at least). */
export const BACKFILL_MINUTES = 6 * 60;
/** The rollup is kept this long (the cleanup job removes older minutes). */
export const METRIC_RETENTION_DAYS = 30;
/** The failure log is read back BACKFILL_MINUTES at most: a day is plenty. */
export const DELIVERY_FAILURE_MAX_AGE_MS = 24 * 60 * 60_000;

const ORIGIN = Prisma.sql`TIMESTAMPTZ '2000-01-01 00:00:00+00'`;
const NOW_MINUTE = Prisma.sql`date_bin('1 minute', now(), ${ORIGIN})`;

export interface TMetricMinutesReport {
  /** The first minute recomputed (the current one is the last). */
  from: Date;
  /** (minute, network) rows written or removed. */
  rows: number;
  queueDepth: number;
  oldestDueMs: number;
}

/** The minutes to recompute start here: the settle window, or the last covered minute after an outage. */
async function firstMinute(tx: TTx): Promise<Date> {
  const [row] = await tx.$queryRaw<Array<{ from: Date }>>`
    SELECT GREATEST(
      ${NOW_MINUTE} - make_interval(mins => ${BACKFILL_MINUTES}),
      LEAST(${NOW_MINUTE} - make_interval(mins => ${SETTLE_MINUTES}),
            COALESCE((SELECT max(minute) FROM metric_samples), '-infinity'::timestamptz))
    ) AS "from"`;
  return row!.from;
}

/** One run of the rollup (see the module's header); idempotent. */
export async function writeMetricMinutes(db: TDb): Promise<TMetricMinutesReport> {
  return db.$transaction(async (tx) => {
    const from = await firstMinute(tx);
    const since = Prisma.sql`${from.toISOString()}::timestamptz`;
    const until = Prisma.sql`${NOW_MINUTE} + interval '1 minute'`;
    const minuteOf = (column: Prisma.Sql) => Prisma.sql`date_bin('1 minute', ${column}, ${ORIGIN})`;
    const [{ rows } = { rows: 0 }] = await tx.$queryRaw<Array<{ rows: number }>>`
      WITH counted AS (
        SELECT ${minuteOf(Prisma.sql`delivered_at`)} AS minute, network_id,
          count(*)::int AS delivered, 0 AS failed, 0 AS retried, 0 AS inbound
        FROM deliveries
        WHERE state = 'DELIVERED' AND updated_at >= ${since} AND delivered_at >= ${since} AND delivered_at < ${until}
        GROUP BY 1, 2
        UNION ALL
        SELECT ${minuteOf(Prisma.sql`failed_at`)}, network_id,
          0, (count(*) FILTER (WHERE is_final))::int, (count(*) FILTER (WHERE NOT is_final))::int, 0
        FROM delivery_failures WHERE failed_at >= ${since} AND failed_at < ${until}
        GROUP BY 1, 2
        UNION ALL
        SELECT ${minuteOf(Prisma.sql`received_at`)}, network_id, 0, 0, 0, count(*)::int
        FROM inbound_events WHERE received_at >= ${since} AND received_at < ${until}
        GROUP BY 1, 2
      ), summed AS (
        SELECT minute, network_id, sum(delivered)::int AS delivered, sum(failed)::int AS failed,
          sum(retried)::int AS retried, sum(inbound)::int AS inbound
        FROM counted GROUP BY 1, 2
      ), stale AS (
        DELETE FROM metric_minutes m
        WHERE m.minute >= ${since} AND m.minute < ${until}
          AND NOT EXISTS (SELECT 1 FROM summed s WHERE s.minute = m.minute AND s.network_id = m.network_id)
        RETURNING 1
      ), written AS (
        INSERT INTO metric_minutes (minute, network_id, delivered, failed, retried, inbound)
        -- In key order, so two runs at once (tests; workers take turns) never wait in a circle.
        SELECT minute, network_id, delivered, failed, retried, inbound FROM summed ORDER BY minute, network_id
        ON CONFLICT (minute, network_id) DO UPDATE SET delivered = EXCLUDED.delivered,
          failed = EXCLUDED.failed, retried = EXCLUDED.retried, inbound = EXCLUDED.inbound
        WHERE (metric_minutes.delivered, metric_minutes.failed, metric_minutes.retried, metric_minutes.inbound)
          IS DISTINCT FROM (EXCLUDED.delivered, EXCLUDED.failed, EXCLUDED.retried, EXCLUDED.inbound)
        RETURNING 1
      )
      SELECT ((SELECT count(*) FROM stale) + (SELECT count(*) FROM written))::int AS rows`;
    await tx.$executeRaw`
      INSERT INTO metric_samples (minute)
      SELECT generate_series(${since}, ${NOW_MINUTE}, interval '1 minute')
      ON CONFLICT (minute) DO NOTHING`;
    const queue = await readQueue(tx);
    const queueDepth = [...queue.depth.values()].reduce((sum, due) => sum + due, 0);
    const oldestDueMs = Math.round(queue.oldestDueMs);
    await tx.$executeRaw`
      UPDATE metric_samples SET queue_depth = GREATEST(queue_depth, ${queueDepth}::int),
        oldest_due_ms = GREATEST(oldest_due_ms, ${oldestDueMs}::bigint)
      WHERE minute = ${NOW_MINUTE}`;
    return { from, rows, queueDepth, oldestDueMs };
  });
}

/** The rollup as the worker schedules it: soon after start, then every METRIC_MINUTES_EVERY_MS. */
export function metricMinutesJob(options: { firstAfterMs?: number; everyMs?: number } = {}) {
  return defineScheduledJob({
    name: "metric-minutes",
    firstAfterMs: options.firstAfterMs ?? 5_000,
    everyMs: options.everyMs ?? METRIC_MINUTES_EVERY_MS,
    async run(db) {
      await writeMetricMinutes(db);
    },
  });
}
