import { setSyncFields } from "../../../registration/accounts";
import { protectedProcedure } from "../../trpc";
import { ZAccountView, ZSetFieldsInput } from "./schemas";

/** Which of avatar, display name, signature and mood an account syncs. */
export const setFields = protectedProcedure
  .input(ZSetFieldsInput)
  .output(ZAccountView)
  .mutation(({ ctx, input: { accountId, fields } }) => setSyncFields(ctx.db, ctx.session.user.id, accountId, fields));
