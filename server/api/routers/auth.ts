import { z } from "zod";
import { presentedDeviceCookie } from "../../auth/options";
import { ZChangePasswordInput, ZSignUpInput } from "../../auth/schemas";
import { changePassword, signOutEverywhere, signUp } from "../../auth/users";
import { clientAddress } from "../../http/client-address";
import { createTRPCRouter, protectedProcedure, publicProcedure } from "../trpc";

export const ZPublicUser = z.object({ id: z.string(), email: z.string(), role: z.enum(["USER", "ADMIN"]) });

export const authRouter = createTRPCRouter({
  /** Creates a portal account; the browser then signs in through next-auth. */
  signUp: publicProcedure
    .input(ZSignUpInput)
    .output(ZPublicUser)
    .mutation(({ ctx, input }) => signUp(ctx.db, { ...input, ip: clientAddress(ctx.headers) })),

  /** Changes the password and ends every session; the browser signs in again with the new one. */
  changePassword: protectedProcedure
    .input(ZChangePasswordInput)
    .output(z.void())
    .mutation(({ ctx, input }) =>
      changePassword(ctx.db, ctx.session.user.id, {
        ...input,
        ip: clientAddress(ctx.headers),
        deviceCookie: presentedDeviceCookie(ctx.headers.get("cookie")),
      }),
    ),

  /** Ends every session of the user, this browser's too. */
  signOutEverywhere: protectedProcedure
    .output(z.void())
    .mutation(({ ctx }) => signOutEverywhere(ctx.db, ctx.session.user.id)),
});
