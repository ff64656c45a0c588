import { getProfile } from "../../../profile/queries";
import { protectedProcedure } from "../../trpc";
import { ZProfile } from "./schemas";

/** The person's profile as it stands: their latest revision. */
export const get = protectedProcedure.output(ZProfile).query(({ ctx }) => getProfile(ctx.db, ctx.session.user.id));
