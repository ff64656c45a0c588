import { z } from "zod";
import * as users from "../../../auth/users";
import { protectedProcedure } from "../../trpc";

/** Ends every session of the user, this browser's too. */
export const signOutEverywhere = protectedProcedure
  .output(z.void())
  .mutation(({ ctx }) => users.signOutEverywhere(ctx.db, ctx.session.user.id));
