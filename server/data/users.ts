/** Support's view of people: search, and the figures that say who needs help. */
import type { TDb } from "../db";
import type { TCursor } from "./audit";
import { escapeLike } from "./like";

export interface TUserRow {
  id: string;
  email: string;
  role: "USER" | "ADMIN";
  createdAt: Date;
  linkedAccounts: number;
  needsReauth: number;
  lastChangeAt: Date | null;
  failedLastDay: number;
}

/**
 * Users whose email contains `query` (emails are stored lower-cased, so the match ignores case),
 * newest first by (createdAt, id).
 */
export async function searchUsers(
  db: TDb,
  input: { query: string; cursor?: TCursor; limit: number },
): Promise<{ rows: TUserRow[]; nextCursor: TCursor | null }> {
  const query = input.query.trim().toLowerCase();
  const users = await db.user.findMany({
    where: {
      AND: [
        // Escaped by hand: Prisma's `contains` would take % and _ as wildcards (./like.ts).
        query ? { email: { contains: escapeLike(query) } } : {},
        input.cursor
          ? {
              OR: [
                { createdAt: { lt: input.cursor.createdAt } },
                { createdAt: input.cursor.createdAt, id: { lt: input.cursor.id } },
              ],
            }
          : {},
      ],
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: { id: true, email: true, role: true, createdAt: true },
  });
  const page = users.slice(0, input.limit);
  const ids = page.map((user) => user.id);
  const dayAgo = new Date(Date.now() - 24 * 60 * 60_000);
  const [accounts, reauth, lastChanges, failed] = await Promise.all([
    db.linkedAccount.groupBy({ by: ["userId"], where: { userId: { in: ids } }, _count: { _all: true } }),
    db.linkedAccount.groupBy({
      by: ["userId"],
      where: { userId: { in: ids }, status: "NEEDS_REAUTH" },
      _count: { _all: true },
    }),
    db.profileRevision.groupBy({ by: ["userId"], where: { userId: { in: ids } }, _max: { createdAt: true } }),
    db.delivery.groupBy({
      by: ["userId"],
      where: { userId: { in: ids }, state: "FAILED", updatedAt: { gte: dayAgo } },
      _count: { _all: true },
    }),
  ]);
  const count = (rows: Array<{ userId: string; _count: { _all: number } }>) =>
    new Map(rows.map((row) => [row.userId, row._count._all]));
  const accountsOf = count(accounts);
  const reauthOf = count(reauth);
  const failedOf = count(failed);
  const lastChangeOf = new Map(lastChanges.map((row) => [row.userId, row._max.createdAt]));
  const last = page.at(-1);
  return {
    rows: page.map((user) => ({
      ...user,
      linkedAccounts: accountsOf.get(user.id) ?? 0,
      needsReauth: reauthOf.get(user.id) ?? 0,
      lastChangeAt: lastChangeOf.get(user.id) ?? null,
      failedLastDay: failedOf.get(user.id) ?? 0,
    })),
    nextCursor: users.length > input.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}
