import { z } from "zod";
import { retryFailedForUser } from "../../../admin/support";
import { adminProcedure } from "../../trpc";
import { ZReason } from "./schemas";

/** Tries every failed delivery of one person again; says which accounts could not be retried and why. */
export const retryFailed = adminProcedure
  .input(z.object({ userId: z.uuid("Unknown user."), reason: ZReason }))
  .output(
    z.object({
      accounts: z.number(),
      skipped: z.array(z.object({ login: z.string(), networkId: z.string(), why: z.string() })),
    }),
  )
  .mutation(({ ctx, input }) =>
    retryFailedForUser(ctx.db, input.userId, { actorId: ctx.session.user.id, reason: input.reason }),
  );
