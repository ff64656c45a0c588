import { uploadAvatar } from "../../../profile/avatars";
import { updateProfile } from "../../../profile/update";
import { protectedProcedure } from "../../trpc";
import { ZUpdateInput, ZUpdateResult } from "./schemas";

/** Saves a change: a new revision and a delivery for every linked account, in one transaction. */
export const update = protectedProcedure
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
  });
