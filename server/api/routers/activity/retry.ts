import { z } from "zod";
import { retryDelivery } from "../../../profile/queries";
import { protectedProcedure } from "../../trpc";

export const ZRetryInput = z.object({ deliveryId: z.uuid("Unknown delivery.") });
export const ZRetryResult = z.object({ deliveryId: z.string() });

/** Tries a failed delivery again: its account is brought to the current profile. */
export const retry = protectedProcedure
  .input(ZRetryInput)
  .output(ZRetryResult)
  .mutation(async ({ ctx, input: { deliveryId } }) => {
    await retryDelivery(ctx.db, ctx.session.user.id, deliveryId);
    return { deliveryId };
  });
