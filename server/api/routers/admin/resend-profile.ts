import { z } from "zod";
import { resendProfile as resend } from "../../../admin/support";
import { adminProcedure } from "../../trpc";
import { ZReason } from "./schemas";

/** Reads one account back, then sends it whatever differs from the current profile; audited. */
export const resendProfile = adminProcedure
  .input(z.object({ accountId: z.uuid("Unknown account."), reason: ZReason }))
  .output(z.object({ accountId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    await resend(ctx.db, input.accountId, { actorId: ctx.session.user.id, reason: input.reason });
    return { accountId: input.accountId };
  });
