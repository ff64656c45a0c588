import { z } from "zod";
import { adminProcedure } from "../../trpc";

/** Whether the caller may use the admin pages: FORBIDDEN (or UNAUTHORIZED) otherwise. */
export const access = adminProcedure.output(z.object({ isAdmin: z.literal(true) })).query(() => ({ isAdmin: true }));
