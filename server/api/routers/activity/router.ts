import { z } from "zod";
import { env } from "../../../env";
import { activityEvents } from "../../../profile/activity-events";
import { listActivity, retryDelivery } from "../../../profile/queries";
import { createTRPCRouter, protectedProcedure } from "../../trpc";
import { ZActivity } from "../profile/schemas";

const DAY_MS = 24 * 60 * 60_000;

/** What happened to each update: the delivery to every linked account, live. */
export const activityRouter = createTRPCRouter({
  /**
   * The latest updates within the retention period (DELIVERY_RETENTION_DAYS): an older one shows
   * only while one of its deliveries is still kept (open, or made for it when an account was
   * linked again); the cleanup job removes finished deliveries past that period.
   */
  list: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }))
    .output(ZActivity)
    .query(async ({ ctx, input }) => {
      const since = Date.now() - env.DELIVERY_RETENTION_DAYS * DAY_MS;
      const updates = await listActivity(ctx.db, ctx.session.user.id, input.limit);
      return updates.filter((update) => update.createdAt.getTime() >= since || update.deliveries.length > 0);
    }),

  retry: protectedProcedure
    .input(z.object({ deliveryId: z.uuid("Unknown delivery.") }))
    .output(z.object({ deliveryId: z.string() }))
    .mutation(async ({ ctx, input: { deliveryId } }) => {
      await retryDelivery(ctx.db, ctx.session.user.id, deliveryId);
      return { deliveryId };
    }),

  /** Ticks whenever one of the user's updates or deliveries changes (SSE). */
  onChange: protectedProcedure.subscription(({ ctx, signal }) => activityEvents(ctx.session.user.id, signal)),
});
