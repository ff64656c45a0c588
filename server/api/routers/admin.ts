import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../trpc";
import { listUsers } from "../../auth/users";

const ZUserRow = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(["USER", "ADMIN"]),
  createdAt: z.date(),
});

export const adminRouter = createTRPCRouter({
  /** Users, newest first, optionally filtered by part of the email. */
  users: adminProcedure
    .input(z.object({ query: z.string().trim().max(254).default("") }))
    .output(z.array(ZUserRow))
    .query(({ ctx, input }) => listUsers(ctx.db, input.query)),
});
