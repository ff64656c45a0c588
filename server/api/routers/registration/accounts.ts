import { z } from "zod";
import { listAccounts } from "../../../registration/accounts";
import { protectedProcedure } from "../../trpc";
import { ZAccountView } from "./schemas";

/** The signed-in user's linked accounts, with status. */
export const accounts = protectedProcedure
  .output(z.array(ZAccountView))
  .query(({ ctx }) => listAccounts(ctx.db, ctx.session.user.id));
