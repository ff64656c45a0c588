/**
 * The cleanup job: tables that would only grow lose the rows nothing can use any more.
 * - rate-limit hits past every window (the longest is far below a day);
 * - processed network reports after a day, and the finished jobs that processed them. The
 *   signature's timestamp does not protect against a late copy (the sandbox signs each retry
 *   afresh); the ids refuse a copy (409) while the sender still retries, and it gives up after 50
 *   attempts (backoff capped at 5 min by default: under 4 h), well within the day. A copy that
 *   comes later anyway is recorded again and changes nothing: its vendor mark (the account's
 *   version in the network) is not newer than the one its first processing, or any later report
 *   or write, left on the account, so the echo rule (server/sync/state.ts) classes it stale;
 * - dead-lettered reports and their dead jobs, together, after the retention period (for whoever
 *   looks into them, as long as deliveries are kept);
 * - the metric rollup's minutes after 30 days, and the delivery-failure log it is computed from
 *   after a day (jobs/metric-minutes.ts);
 * - finished deliveries (delivered, failed, skipped, superseded) older than the retention period.
 *   Open ones stay, whatever their age. No sync decision reads a finished delivery: what an
 *   account owes comes from its observed state and the revisions (server/sync/state.ts); a failed
 *   or skipped one that is gone is made again for the latest change when the account is reopened;
 * - avatars nothing refers to, stored within a recent window once their grace period is over
 *   (AVATAR_WINDOW_MS): an original that no profile revision names (uploaded, never saved), with
 *   its renditions' rows, then every rendition no kept original uses. An original a revision
 *   names stays (history can restore it), and so do its renditions, which covers every write in
 *   flight (an unconfirmed write's avatar is a rendition of the latest revision's original, and a
 *   delivery's settings name that original).
 *
 * Every statement removes at most a batch of rows, oldest first, skipping rows busy elsewhere,
 * and commits on its own: a run never holds many locks or waits for a person's save. Each
 * statement walks an index (cleanup.integration.test.ts checks the plans).
 */
import type { TDb } from "../../db";
import { Prisma } from "../../generated/prisma/client";
import { logError, logger } from "../../log";
import { MAX_WEBHOOK_AGE_SECONDS } from "../../connectors/event-json";
import { defineScheduledJob } from "../define-job";
import { INBOUND_EVENT } from "../queue";
import { DELIVERY_FAILURE_MAX_AGE_MS, METRIC_RETENTION_DAYS } from "./metric-minutes";

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

/** Longer than any rate limit's window (sign-in, sign-up and upload limits count 15 min to 1 h). */
export const RATE_LIMIT_HIT_MAX_AGE_MS = DAY_MS;
/** Twice the signature tolerance, and at least a day: longer than the sender retries an event. */
export const INBOUND_EVENT_MAX_AGE_MS = Math.max(2 * MAX_WEBHOOK_AGE_SECONDS * 1000, DAY_MS);
/** An avatar nothing names yet may be about to be named (an upload whose save is still running). */
export const AVATAR_GRACE_MS = DAY_MS;
/**
 * Only avatars stored within this long before the grace period ends are looked at, so a run walks
 * the avatars(created_at) index over a few days' uploads instead of every avatar and revision
 * (nearly every old avatar is kept forever by history). The job runs hourly, so an orphan is in
 * the window for a week of runs; only if no worker ran the job all that week does it stay. So
 * does an avatar that becomes unused long after it was stored (its person removed from the
 * database by hand; the portal deletes no one), or a rendition stored long ago for another
 * original: they cost storage, nothing else. There is deliberately no full pass: it would read
 * every avatar and revision again. Storing the same bytes again starts the grace period over
 * (server/profile/avatars.ts).
 */
export const AVATAR_WINDOW_MS = 7 * DAY_MS;
export const CLEANUP_BATCH = 1000;

export interface TCleanupOptions {
  /** Finished deliveries older than this are removed (DELIVERY_RETENTION_DAYS). */
  deliveryRetentionDays: number;
  batchSize?: number;
}

export interface TCleanupReport {
  rateLimitHits: number;
  inboundEvents: number;
  inboundEventJobs: number;
  deadEvents: number;
  deadEventJobs: number;
  deliveries: number;
  metricMinutes: number;
  metricSamples: number;
  deliveryFailures: number;
  avatars: number;
  avatarRenditions: number;
}

const olderThan = (ms: number) => Prisma.sql`now() - make_interval(secs => ${ms / 1000})`;

/**
 * The statements that remove up to `limit` rows each; exported for the test of their plans. The
 * avatar steps are `orphanAvatars` (find) and `removeAvatars` (delete), below.
 */
export function cleanupStatements(options: TCleanupOptions) {
  const retention = Prisma.sql`now() - make_interval(days => ${options.deliveryRetentionDays})`;
  const metricCutoff = Prisma.sql`now() - make_interval(days => ${METRIC_RETENTION_DAYS})`;
  return {
    rateLimitHits: (limit: number) => Prisma.sql`
      DELETE FROM rate_limit_hits WHERE id IN (
        SELECT id FROM rate_limit_hits WHERE created_at < ${olderThan(RATE_LIMIT_HIT_MAX_AGE_MS)}
        ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    // Processed only: an event still waiting for its job is never removed, however old; a dead
    // letter stays with its dead job (below).
    inboundEvents: (limit: number) => Prisma.sql`
      DELETE FROM inbound_events WHERE id IN (
        SELECT id FROM inbound_events
        WHERE processed_at < ${olderThan(INBOUND_EVENT_MAX_AGE_MS)}
          AND received_at < ${olderThan(INBOUND_EVENT_MAX_AGE_MS)}
          AND outcome IS DISTINCT FROM 'dead'
        ORDER BY processed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    // Its event processed; a sync job (an account's dirty marker) is never removed.
    inboundEventJobs: (limit: number) => Prisma.sql`
      DELETE FROM jobs WHERE id IN (
        SELECT id FROM jobs
        WHERE state = 'DONE' AND finished_at < ${olderThan(INBOUND_EVENT_MAX_AGE_MS)} AND kind = ${INBOUND_EVENT}
        ORDER BY finished_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    // A dead letter stays as long as deliveries do, for whoever looks into it: the event and its
    // job end in one transaction, so the same cutoff removes them together.
    deadEvents: (limit: number) => Prisma.sql`
      DELETE FROM inbound_events WHERE id IN (
        SELECT id FROM inbound_events
        WHERE processed_at < ${retention} AND outcome = 'dead'
        ORDER BY processed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    deadEventJobs: (limit: number) => Prisma.sql`
      DELETE FROM jobs WHERE id IN (
        SELECT id FROM jobs
        WHERE state = 'DEAD' AND finished_at < ${retention} AND kind = ${INBOUND_EVENT}
        ORDER BY finished_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    deliveries: (limit: number) => Prisma.sql`
      DELETE FROM deliveries WHERE id IN (
        SELECT id FROM deliveries
        WHERE state IN ('DELIVERED', 'FAILED', 'SKIPPED', 'SUPERSEDED') AND updated_at < ${retention}
        ORDER BY updated_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    metricMinutes: (limit: number) => Prisma.sql`
      DELETE FROM metric_minutes WHERE (minute, network_id) IN (
        SELECT minute, network_id FROM metric_minutes WHERE minute < ${metricCutoff}
        ORDER BY minute LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    metricSamples: (limit: number) => Prisma.sql`
      DELETE FROM metric_samples WHERE minute IN (
        SELECT minute FROM metric_samples WHERE minute < ${metricCutoff}
        ORDER BY minute LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    deliveryFailures: (limit: number) => Prisma.sql`
      DELETE FROM delivery_failures WHERE id IN (
        SELECT id FROM delivery_failures WHERE failed_at < ${olderThan(DELIVERY_FAILURE_MAX_AGE_MS)}
        ORDER BY failed_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  };
}

const isUnused = Prisma.sql`
  NOT EXISTS (SELECT 1 FROM profile_revisions r WHERE r.avatar_sha256 = a.sha256)
  AND NOT EXISTS (SELECT 1 FROM avatar_renditions ar WHERE ar.rendition_sha256 = a.sha256)`;

/** Avatars past the grace period and within the window that no revision names and no kept original uses. */
export const orphanAvatars = (limit: number) => Prisma.sql`
  SELECT a.sha256 FROM avatars a
  WHERE a.created_at < ${olderThan(AVATAR_GRACE_MS)} AND a.created_at >= ${olderThan(AVATAR_GRACE_MS + AVATAR_WINDOW_MS)}
    AND ${isUnused}
  ORDER BY a.created_at LIMIT ${limit}`;

/** Removes these avatars if still unused (checked again), then their renditions' rows. */
export const removeAvatars = (shas: readonly string[]) => Prisma.sql`
  DELETE FROM avatars a
  WHERE a.sha256 = ANY(${shas}::text[]) AND a.created_at < ${olderThan(AVATAR_GRACE_MS)} AND ${isUnused}
  RETURNING a.sha256`;

async function step(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    logError(`cleanup ${name}`, error);
  }
}

async function cleanAvatars(db: TDb, limit: number, signal: AbortSignal, report: TCleanupReport): Promise<void> {
  // A rendition whose original goes becomes unused, and is found by the next round.
  while (!signal.aborted) {
    const found = await db.$queryRaw<Array<{ sha256: string }>>(orphanAvatars(limit));
    if (found.length === 0) return;
    const removed = await db.$transaction(async (tx) => {
      const gone = (await tx.$queryRaw<Array<{ sha256: string }>>(removeAvatars(found.map((row) => row.sha256)))).map(
        (row) => row.sha256,
      );
      report.avatarRenditions += await tx.$executeRaw`
        DELETE FROM avatar_renditions WHERE source_sha256 = ANY(${gone}::text[])`;
      return gone.length;
    });
    report.avatars += removed;
    // All of them named again meanwhile: nothing left to do now.
    if (removed === 0) return;
  }
}

/**
 * One cleanup run, in batches of `batchSize` rows; stops between batches when `signal` aborts. A
 * step that fails is logged and the others still run (the next run tries it again).
 */
export async function runCleanup(
  db: TDb,
  options: TCleanupOptions,
  signal: AbortSignal = new AbortController().signal,
): Promise<TCleanupReport> {
  const limit = options.batchSize ?? CLEANUP_BATCH;
  const report: TCleanupReport = {
    rateLimitHits: 0,
    inboundEvents: 0,
    inboundEventJobs: 0,
    deadEvents: 0,
    deadEventJobs: 0,
    deliveries: 0,
    metricMinutes: 0,
    metricSamples: 0,
    deliveryFailures: 0,
    avatars: 0,
    avatarRenditions: 0,
  };
  for (const [kind, statement] of Object.entries(cleanupStatements(options)) as Array<
    [keyof TCleanupReport, (limit: number) => Prisma.Sql]
  >) {
    await step(kind, async () => {
      while (!signal.aborted) {
        const count = await db.$executeRaw(statement(limit));
        report[kind] += count;
        if (count < limit) break;
      }
    });
  }
  await step("avatars", () => cleanAvatars(db, limit, signal, report));
  return report;
}

/** The cleanup as the worker schedules it: a minute after start, then hourly (one worker at a time). */
export function cleanupJob(options: TCleanupOptions & { firstAfterMs?: number; everyMs?: number }) {
  return defineScheduledJob({
    name: "cleanup",
    firstAfterMs: options.firstAfterMs ?? 60_000,
    everyMs: options.everyMs ?? HOUR_MS,
    async run(db, signal) {
      const report = await runCleanup(db, options, signal);
      if (Object.values(report).some((count) => count > 0)) logger.info({ cleanup: report }, "Cleanup removed rows");
    },
  });
}
