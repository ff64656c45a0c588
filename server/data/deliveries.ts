/**
 * The delivery log for support staff (issue 17): every delivery, newest first by (createdAt, id),
 * filtered by network, state, person and time range, a page at a time (keyset pagination, so a
 * deep page costs what the first one does). Never credentials: the select names every column read.
 */
import type { TDb } from "../db";
import type { DeliveryState, Prisma } from "../generated/prisma/client";
import type { TCursor } from "./audit";

export interface TDeliveryLogFilter {
  networkId?: string;
  state?: DeliveryState;
  /** The person, by id. */
  userId?: string;
  /** The person, by email: exact, any case (emails are stored lower-cased). */
  email?: string;
  /** Created at or after. */
  from?: Date;
  /** Created at or before. */
  to?: Date;
  cursor?: TCursor;
  limit: number;
}

export interface TDeliveryLogRow {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  state: DeliveryState;
  networkId: string;
  networkName: string;
  userId: string;
  userEmail: string;
  login: string;
  fields: string[];
  attempts: number;
  /** The vendor's message from the last attempt that failed. */
  lastError: string | null;
  deliveredAt: Date | null;
  nextAttemptAt: Date;
  /** The profile revision this delivery carries: its version and where the change was made. */
  version: number;
  source: string;
}

/**
 * The page's `where`. Every filter is an equality on a column that leads one of the log's indexes
 * ((user_id | network_id | state, created_at, id), or (created_at, id) with none), and the time
 * range and the cursor are ranges on created_at, the next column of each: so whatever the mix,
 * Postgres walks one index backwards from the right place and stops after a page.
 */
export function deliveryLogWhere(filter: Omit<TDeliveryLogFilter, "email" | "limit">): Prisma.DeliveryWhereInput {
  const { cursor } = filter;
  const createdAt: Prisma.DateTimeFilter<"Delivery"> = {
    ...(filter.from ? { gte: filter.from } : {}),
    ...(filter.to ? { lte: filter.to } : {}),
  };
  // Keyset: (created_at, id) < cursor. Said as `created_at <= c AND (created_at < c OR id < i)`
  // rather than the plain OR of the two cases, so that `created_at <= c` is an index condition
  // (the walk starts at the cursor) and only rows tied at c are filtered; with the plain OR the
  // whole condition is a filter and a deep page would read every newer row first.
  if (cursor) {
    createdAt.lte = filter.to && filter.to < cursor.createdAt ? filter.to : cursor.createdAt;
  }
  return {
    ...(filter.networkId ? { networkId: filter.networkId } : {}),
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.userId ? { userId: filter.userId } : {}),
    ...(Object.keys(createdAt).length > 0 ? { createdAt } : {}),
    ...(cursor ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { id: { lt: cursor.id } }] } : {}),
  };
}

/** A page of the log, newest first by (createdAt, id), and the cursor of the next page (null at the end). */
export async function listDeliveryLog(
  db: TDb,
  filter: TDeliveryLogFilter,
): Promise<{ rows: TDeliveryLogRow[]; nextCursor: TCursor | null }> {
  const { email, limit, ...rest } = filter;
  let userId = rest.userId;
  if (email !== undefined) {
    const person = await db.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true } });
    // An unknown email, or an email and an id of two different people, match nobody.
    if (!person || (userId !== undefined && userId !== person.id)) return { rows: [], nextCursor: null };
    userId = person.id;
  }
  const deliveries = await db.delivery.findMany({
    where: deliveryLogWhere({ ...rest, ...(userId ? { userId } : {}) }),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: {
      id: true,
      createdAt: true,
      updatedAt: true,
      state: true,
      networkId: true,
      userId: true,
      fields: true,
      attempts: true,
      lastError: true,
      deliveredAt: true,
      nextAttemptAt: true,
      network: { select: { displayName: true } },
      user: { select: { email: true } },
      linkedAccount: { select: { login: true } },
      revision: { select: { version: true, source: true } },
    },
  });
  const page = deliveries.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ network, user, linkedAccount, revision, ...delivery }) => ({
      ...delivery,
      networkName: network.displayName,
      userEmail: user.email,
      login: linkedAccount.login,
      version: revision.version,
      source: revision.source,
    })),
    nextCursor: deliveries.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}
