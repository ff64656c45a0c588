import { z } from "zod";
import { setAccountPaused as setPaused } from "../../../admin/support";
import { adminProcedure } from "../../trpc";
import { ZReason } from "./schemas";

/** Pauses or resumes one linked account's sync (the person cannot resume it); audited with the reason. */
export const setAccountPaused = adminProcedure
  .input(z.object({ accountId: z.uuid("Unknown account."), isPaused: z.boolean(), reason: ZReason }))
  .output(z.object({ accountId: z.string(), isPaused: z.boolean() }))
  .mutation(async ({ ctx, input }) => {
    await setPaused(ctx.db, input.accountId, input.isPaused, { actorId: ctx.session.user.id, reason: input.reason });
    return { accountId: input.accountId, isPaused: input.isPaused };
  });
