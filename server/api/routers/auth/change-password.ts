import { z } from "zod";
import { presentedDeviceCookie } from "../../../auth/options";
import { ZChangePasswordInput } from "../../../auth/schemas";
import * as users from "../../../auth/users";
import { clientAddress } from "../../../http/client-address";
import { protectedProcedure } from "../../trpc";

/** Changes the password and ends every session; the browser signs in again with the new one. */
export const changePassword = protectedProcedure
  .input(ZChangePasswordInput)
  .output(z.void())
  .mutation(({ ctx, input }) =>
    users.changePassword(ctx.db, ctx.session.user.id, {
      ...input,
      ip: clientAddress(ctx.headers),
      deviceCookie: presentedDeviceCookie(ctx.headers.get("cookie")),
    }),
  );
