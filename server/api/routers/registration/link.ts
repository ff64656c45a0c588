import { linkAccount } from "../../../registration/link";
import { protectedProcedure } from "../../trpc";
import { ZAccountView, ZLinkInput } from "./schemas";

/** Links an account after consent, once the vendor has verified the credentials. */
export const link = protectedProcedure
  .input(ZLinkInput)
  .output(ZAccountView)
  .mutation(({ ctx, input: { networkId, login, secret } }) =>
    linkAccount(ctx, ctx.session.user.id, { networkId, login, secret }),
  );
