import { z } from "zod";
import { METRIC_RANGES, readDashboard, type TMetricRange } from "../../../data/metrics";
import { adminProcedure } from "../../trpc";

const ZRange = z.enum(Object.keys(METRIC_RANGES) as [TMetricRange, ...TMetricRange[]]);

const ZNetworkFigures = z.object({
  networkId: z.string(),
  delivered: z.number(),
  failed: z.number(),
  retried: z.number(),
  inbound: z.number(),
});

const ZPoint = z.object({
  at: z.date(),
  coveredMinutes: z.number(),
  byNetwork: z.array(ZNetworkFigures),
  successRate: z.number().nullable(),
  queueDepth: z.number().nullable(),
  oldestDueMs: z.number().nullable(),
});

export const ZDashboard = z.object({
  range: ZRange,
  bucketMinutes: z.number(),
  from: z.date(),
  to: z.date(),
  networks: z.array(z.object({ id: z.string(), displayName: z.string() })),
  points: z.array(ZPoint),
  totals: ZPoint.extend({
    delivered: z.number(),
    failed: z.number(),
    retried: z.number(),
    inbound: z.number(),
  }),
  latest: z.object({ at: z.date(), queueDepth: z.number().nullable(), oldestDueMs: z.number().nullable() }).nullable(),
});
export type TDashboardView = z.infer<typeof ZDashboard>;

/** The operations dashboard over the last hour (per minute) or day (per 10 minutes), from the rollup. */
export const dashboard = adminProcedure
  .input(z.object({ range: ZRange }))
  .output(ZDashboard)
  .query(({ ctx, input }) => readDashboard(ctx.db, input.range));
