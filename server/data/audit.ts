/**
 * The audit log: who did what, when, to whom. Append-only — this module has no update or delete,
 * and the database refuses them (migration 20261203000000_admin). Every entry is written in the
 * transaction of the action it records. Never holds credentials.
 */
import type { TDb, TTx } from "../db";
import { Prisma } from "../generated/prisma/client";
import type { TAuditAction, TAuditTargetType } from "./audit-actions";
import { containsPattern } from "./like";

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
  /** What they were done to: an account, a delivery, a network ("qq"), a user. */
  targetId?: string;
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

/**
 * Newest first, by (createdAt, id); filters combine. Raw SQL: the email filter matches the actor's
 * or the person's current email through an EXISTS on users (no foreign key joins them, so Prisma
 * has no relation to filter through), however many users match.
 */
export async function searchAudit(
  db: TDb,
  filter: TAuditFilter,
): Promise<{ rows: TAuditRow[]; nextCursor: TCursor | null }> {
  const email = filter.email?.trim().toLowerCase();
  const conditions = [
    filter.actorId ? Prisma.sql`e.actor_id = ${filter.actorId}::uuid` : null,
    filter.subjectId ? Prisma.sql`e.subject_id = ${filter.subjectId}::uuid` : null,
    filter.targetId ? Prisma.sql`e.target_id = ${filter.targetId}` : null,
    filter.action ? Prisma.sql`e.action = ${filter.action}` : null,
    email
      ? Prisma.sql`EXISTS (SELECT 1 FROM users u WHERE u.id IN (e.actor_id, e.subject_id) AND u.email LIKE ${containsPattern(email)})`
      : null,
    filter.cursor
      ? Prisma.sql`(e.created_at, e.id) < (${filter.cursor.createdAt}::timestamptz, ${filter.cursor.id}::uuid)`
      : null,
  ].filter((condition) => condition !== null);
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      createdAt: Date;
      action: string;
      actorId: string | null;
      subjectId: string | null;
      targetType: string;
      targetId: string;
      details: unknown;
    }>
  >`
    SELECT e.id, e.created_at AS "createdAt", e.action, e.actor_id AS "actorId", e.subject_id AS "subjectId",
      e.target_type AS "targetType", e.target_id AS "targetId", e.details
    FROM audit_events e
    ${conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty}
    ORDER BY e.created_at DESC, e.id DESC
    LIMIT ${filter.limit + 1}`;
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
