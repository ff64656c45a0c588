/**
 * The audit log: who did what, when, to whom. Append-only — this module has no update or delete,
 * and the database refuses them (migration 20261203000000_admin). Every entry is written in the
 * transaction of the action it records. Never holds credentials.
 */
import type { TDb, TTx } from "../db";

/** Every action the log records. */
export const AUDIT_ACTIONS = [
  "user.signup",
  "user.role",
  "account.link",
  "account.unlink",
  "account.relink",
  "network.enable",
  "network.disable",
  "admin.delivery.retry",
  "admin.deliveries.retry_failed",
  "admin.account.pause",
  "admin.account.resume",
  "admin.account.resend",
] as const;
export type TAuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = ["user", "linked_account", "network", "delivery"] as const;
export type TAuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export interface TAuditEntryInput {
  /** The user who acted; null for the system or a support command run on the server. */
  actorId: string | null;
  /** The person whose data the action touched; null for a network switch. */
  subjectId: string | null;
  action: TAuditAction;
  targetType: TAuditTargetType;
  targetId: string;
  /** Support's reason for an admin action. */
  reason?: string;
  details?: Record<string, string | number | boolean | null | string[]>;
}

export async function recordAudit(tx: Pick<TTx, "auditEvent">, entry: TAuditEntryInput): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorId: entry.actorId,
      subjectId: entry.subjectId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      details: { ...entry.details, ...(entry.reason === undefined ? {} : { reason: entry.reason }) },
    },
  });
}

export interface TAuditFilter {
  actorId?: string;
  /** The person the entries are about. */
  subjectId?: string;
  action?: TAuditAction;
  /** Part of the actor's or the person's email (case-insensitive). */
  email?: string;
  cursor?: { createdAt: Date; id: string };
  limit: number;
}

export interface TAuditRow {
  id: string;
  createdAt: Date;
  action: string;
  actorId: string | null;
  /** The actor's current email; null for the system or a deleted user (see isActorDeleted). */
  actorEmail: string | null;
  isActorDeleted: boolean;
  subjectId: string | null;
  subjectEmail: string | null;
  isSubjectDeleted: boolean;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

export type TCursor = { createdAt: Date; id: string };

/** Newest first, by (createdAt, id); filters combine. */
export async function searchAudit(
  db: TDb,
  filter: TAuditFilter,
): Promise<{ rows: TAuditRow[]; nextCursor: TCursor | null }> {
  const email = filter.email?.trim().toLowerCase();
  const emailUserIds = email
    ? (await db.user.findMany({ where: { email: { contains: email } }, select: { id: true }, take: 1000 })).map(
        (user) => user.id,
      )
    : undefined;
  const rows = await db.auditEvent.findMany({
    where: {
      AND: [
        filter.actorId ? { actorId: filter.actorId } : {},
        filter.subjectId ? { subjectId: filter.subjectId } : {},
        filter.action ? { action: filter.action } : {},
        emailUserIds ? { OR: [{ actorId: { in: emailUserIds } }, { subjectId: { in: emailUserIds } }] } : {},
        filter.cursor
          ? {
              OR: [
                { createdAt: { lt: filter.cursor.createdAt } },
                { createdAt: filter.cursor.createdAt, id: { lt: filter.cursor.id } },
              ],
            }
          : {},
      ],
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  const ids = new Set(page.flatMap((row) => [row.actorId, row.subjectId]).filter((id): id is string => id !== null));
  const users = await db.user.findMany({ where: { id: { in: [...ids] } }, select: { id: true, email: true } });
  const emailOf = new Map(users.map((user) => [user.id, user.email]));
  const last = page.at(-1);
  return {
    rows: page.map((row) => ({
      id: row.id,
      createdAt: row.createdAt,
      action: row.action,
      actorId: row.actorId,
      actorEmail: row.actorId ? (emailOf.get(row.actorId) ?? null) : null,
      isActorDeleted: row.actorId !== null && !emailOf.has(row.actorId),
      subjectId: row.subjectId,
      subjectEmail: row.subjectId ? (emailOf.get(row.subjectId) ?? null) : null,
      isSubjectDeleted: row.subjectId !== null && !emailOf.has(row.subjectId),
      targetType: row.targetType,
      targetId: row.targetId,
      details: row.details as Record<string, unknown>,
    })),
    nextCursor: rows.length > filter.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}
