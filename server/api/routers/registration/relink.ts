import { z } from "zod";
import { relinkAccount } from "../../../registration/link";
import { protectedProcedure } from "../../trpc";
import { ZAccountView } from "./schemas";

/** Gives an account that needs re-auth its new password (checked by the network first). */
export const relink = protectedProcedure
  .input(
    z.object({ accountId: z.uuid("Unknown account."), secret: z.string().min(1, "Enter your password.").max(1024) }),
  )
  .output(ZAccountView)
  .mutation(({ ctx, input: { accountId, secret } }) => relinkAccount(ctx, ctx.session.user.id, accountId, secret));
