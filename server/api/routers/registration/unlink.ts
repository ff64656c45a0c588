import { z } from "zod";
import { unlinkAccount } from "../../../registration/accounts";
import { protectedProcedure } from "../../trpc";
import { ZAccountId } from "./schemas";

/** Unlinks an account and deletes its credentials. */
export const unlink = protectedProcedure
  .input(ZAccountId)
  .output(z.object({ accountId: z.string() }))
  .mutation(async ({ ctx, input: { accountId } }) => {
    await unlinkAccount(ctx.db, ctx.session.user.id, accountId);
    return { accountId };
  });
