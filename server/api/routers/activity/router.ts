import { z } from "zod";
import { activityEvents } from "../../../profile/activity-events";
import { listActivity, retryDelivery } from "../../../profile/queries";
import { createTRPCRouter, protectedProcedure } from "../../trpc";
import { ZActivity } from "../profile/schemas";

/** What happened to each update: the delivery to every linked account, live. */
export const activityRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(20) }))
    .output(ZActivity)
    .query(({ ctx, input }) => listActivity(ctx.db, ctx.session.user.id, input.limit)),

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
