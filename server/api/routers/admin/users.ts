import { z } from "zod";
import { searchUsers } from "../../../data/users";
import { adminProcedure } from "../../trpc";
import { ZCursor, ZPageLimit } from "./schemas";

export const ZUserRow = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(["USER", "ADMIN"]),
  createdAt: z.date(),
  linkedAccounts: z.number(),
  needsReauth: z.number(),
  lastChangeAt: z.date().nullable(),
  failedLastDay: z.number(),
});

/** Users by part of their email (any case), newest first, a page at a time. */
export const users = adminProcedure
  .input(
    z.object({
      query: z.string().trim().max(254).default(""),
      cursor: ZCursor.nullish(),
      limit: ZPageLimit,
    }),
  )
  .output(z.object({ rows: z.array(ZUserRow), nextCursor: ZCursor.nullable() }))
  .query(({ ctx, input }) =>
    searchUsers(ctx.db, { query: input.query, limit: input.limit, ...(input.cursor ? { cursor: input.cursor } : {}) }),
  );
