/** Shapes shared by the admin procedures. */
import { z } from "zod";

/** Keyset pagination over (createdAt, id), newest first. */
export const ZCursor = z.object({ createdAt: z.date(), id: z.uuid() });

/** Why support staff acted: required, and kept in the audit entry. */
export const ZReason = z
  .string()
  .trim()
  .min(3, "Please say why (at least 3 characters); it goes into the audit log.")
  .max(500, "Please keep the reason under 500 characters.");

export const ZPageLimit = z.number().int().min(1).max(100).default(25);

export const ZAuditRow = z.object({
  id: z.string(),
  createdAt: z.date(),
  action: z.string(),
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  isActorDeleted: z.boolean(),
  subjectId: z.string().nullable(),
  subjectEmail: z.string().nullable(),
  isSubjectDeleted: z.boolean(),
  targetType: z.string(),
  targetId: z.string(),
  details: z.record(z.string(), z.unknown()),
});
