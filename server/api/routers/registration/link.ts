import { linkAccount } from "../../../registration/link";
import { protectedProcedure } from "../../trpc";
import { ZLinkInput, ZLinkResult } from "./schemas";

/** Links an account after consent, once the vendor has verified the credentials. */
export const link = protectedProcedure
  .input(ZLinkInput)
  .output(ZLinkResult)
  .mutation(({ ctx, input: { networkId, login, secret, server } }) =>
    linkAccount(ctx, ctx.session.user.id, { networkId, login, secret, ...(server ? { server } : {}) }),
  );
