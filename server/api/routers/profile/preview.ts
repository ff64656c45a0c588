import { previewProfile } from "../../../profile/queries";
import { protectedProcedure } from "../../trpc";
import { ZPreview, ZProfileFields } from "./schemas";

/** What each linked network would receive for this profile, with warnings. */
export const preview = protectedProcedure
  .input(ZProfileFields)
  .output(ZPreview)
  .query(({ ctx, input }) => previewProfile(ctx.db, ctx.session.user.id, input));
