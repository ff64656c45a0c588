import { z } from "zod";
import { ZSignUpInput } from "../../../auth/schemas";
import * as users from "../../../auth/users";
import { clientAddress } from "../../../http/client-address";
import { publicProcedure } from "../../trpc";

/** The new account as the browser sees it: never the password hash or the session version. */
export const ZPublicUser = z.object({ id: z.string(), email: z.string(), role: z.enum(["USER", "ADMIN"]) });

/** Creates a portal account; the browser then signs in through next-auth. */
export const signUp = publicProcedure
  .input(ZSignUpInput)
  .output(ZPublicUser)
  .mutation(({ ctx, input }) => users.signUp(ctx.db, { ...input, ip: clientAddress(ctx.headers) }));
