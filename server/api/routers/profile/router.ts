import { uploadAvatar } from "../../../profile/avatars";
import { getProfile, previewProfile } from "../../../profile/queries";
import { updateProfile } from "../../../profile/update";
import { createTRPCRouter, protectedProcedure } from "../../trpc";
import { ZProfile, ZProfileFields, ZPreview, ZUpdateInput, ZUpdateResult } from "./schemas";

/** The unified profile (patent: personal settings) and its updates from the portal. */
export const profileRouter = createTRPCRouter({
  get: protectedProcedure.output(ZProfile).query(({ ctx }) => getProfile(ctx.db, ctx.session.user.id)),

  /** Saves a change: a new revision and a delivery for every linked account, in one transaction. */
  update: protectedProcedure
    .input(ZUpdateInput)
    .output(ZUpdateResult)
    .mutation(async ({ ctx, input: { avatarBase64, ...fields } }) => {
      const avatarSha256 =
        avatarBase64 === undefined
          ? undefined
          : avatarBase64 === null
            ? null
            : await uploadAvatar(ctx.db, ctx.session.user.id, Buffer.from(avatarBase64, "base64"));
      return updateProfile(ctx.db, {
        userId: ctx.session.user.id,
        changes: { ...fields, ...(avatarSha256 !== undefined ? { avatarSha256 } : {}) },
        source: "portal",
      });
    }),

  /** What each linked network would receive for this profile, with warnings. */
  preview: protectedProcedure
    .input(ZProfileFields)
    .output(ZPreview)
    .query(({ ctx, input }) => previewProfile(ctx.db, ctx.session.user.id, input)),
});
