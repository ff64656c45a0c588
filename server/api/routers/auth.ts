import { z } from "zod";
import { ZSignUpInput } from "../../auth/schemas";
import { signUp } from "../../auth/users";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const ZPublicUser = z.object({ id: z.string(), email: z.string(), role: z.enum(["USER", "ADMIN"]) });

export const authRouter = createTRPCRouter({
  /** Creates a portal account; the browser then signs in through next-auth. */
  signUp: publicProcedure
    .input(ZSignUpInput)
    .output(ZPublicUser)
    .mutation(({ ctx, input }) => signUp(ctx.db, input)),
});
