import { z } from "zod";
import { env } from "../../../env";
import { listActivity } from "../../../profile/queries";
import { protectedProcedure } from "../../trpc";
import { ZActivity } from "../profile/schemas";

const DAY_MS = 24 * 60 * 60_000;

export const ZListInput = z.object({ limit: z.number().int().min(1).max(100).default(20) });

/**
 * The latest updates within the retention period (DELIVERY_RETENTION_DAYS): an older one shows
 * only while one of its deliveries is still kept (open, or made for it when an account was
 * linked again); the cleanup job removes finished deliveries past that period.
 */
export const list = protectedProcedure
  .input(ZListInput)
  .output(ZActivity)
  .query(async ({ ctx, input }) => {
    const since = Date.now() - env.DELIVERY_RETENTION_DAYS * DAY_MS;
    const updates = await listActivity(ctx.db, ctx.session.user.id, input.limit);
    return updates.filter((update) => update.createdAt.getTime() >= since || update.deliveries.length > 0);
  });
