import { z } from "zod";
import { searchAudit } from "../../../data/audit";
import { AUDIT_ACTIONS } from "../../../data/audit-actions";
import { adminProcedure } from "../../trpc";
import { ZAuditRow, ZCursor, ZPageLimit } from "./schemas";

/** The audit log, newest first: filter by actor, person, action, or part of either one's email. */
export const audit = adminProcedure
  .input(
    z.object({
      actorId: z.uuid("Unknown actor.").optional(),
      subjectId: z.uuid("Unknown person.").optional(),
      targetId: z.string().trim().min(1).max(64).optional(),
      action: z.enum(AUDIT_ACTIONS).optional(),
      email: z.string().trim().max(254).optional(),
      cursor: ZCursor.nullish(),
      limit: ZPageLimit,
    }),
  )
  .output(z.object({ rows: z.array(ZAuditRow), nextCursor: ZCursor.nullable() }))
  .query(({ ctx, input }) => {
    const { cursor, ...filter } = input;
    return searchAudit(ctx.db, { ...filter, ...(cursor ? { cursor } : {}) });
  });
