import { z } from "zod";
import { retryDeliveryForUser } from "../../../admin/support";
import { adminProcedure } from "../../trpc";
import { ZReason } from "./schemas";

/** Tries one failed delivery again (its account gets the current profile); audited with the reason. */
export const retryDelivery = adminProcedure
  .input(z.object({ deliveryId: z.uuid("Unknown delivery."), reason: ZReason }))
  .output(z.object({ deliveryId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    await retryDeliveryForUser(ctx.db, input.deliveryId, { actorId: ctx.session.user.id, reason: input.reason });
    return { deliveryId: input.deliveryId };
  });
