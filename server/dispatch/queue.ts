/**
 * The delivery queue on Postgres: the one place with raw SQL, because Prisma cannot express
 * `FOR UPDATE SKIP LOCKED`. A claim takes due deliveries (and ones whose worker's lease ran out)
 * for accounts that have nothing in flight, marks them SENDING under a fresh lease token, and
 * returns them. Several workers on several machines claim without ever taking the same row.
 */
import { randomUUID } from "node:crypto";
import type { TDb } from "../db";

export const WORK_CHANNEL = "oneprofile_work";

export interface TClaim {
  leaseToken: string;
  ids: string[];
}

export async function claimDeliveries(db: TDb, limit: number, leaseMs: number): Promise<TClaim> {
  const leaseToken = randomUUID();
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    WITH due AS (
      SELECT d.id
      FROM deliveries d
      JOIN linked_accounts a ON a.id = d.linked_account_id
      WHERE ((d.state IN ('QUEUED', 'RETRYING') AND d.next_attempt_at <= now())
             OR (d.state = 'SENDING' AND d.lease_until < now()))
        AND NOT EXISTS (
          SELECT 1 FROM deliveries s
          WHERE s.linked_account_id = d.linked_account_id AND s.state = 'SENDING'
            AND s.lease_until >= now() AND s.id <> d.id)
      ORDER BY d.version, d.next_attempt_at
      LIMIT ${limit}
      FOR UPDATE OF d, a SKIP LOCKED
    )
    UPDATE deliveries
    SET state = 'SENDING', lease_token = ${leaseToken}::uuid,
        lease_until = now() + make_interval(secs => ${leaseMs / 1000}),
        attempts = deliveries.attempts + 1, updated_at = now()
    FROM due WHERE deliveries.id = due.id
    RETURNING deliveries.id`;
  return { leaseToken, ids: rows.map((row) => row.id) };
}

/** Inbound events not yet processed, or whose worker's lease ran out; claimed under a lease. */
export async function claimInboundEvents(db: TDb, limit: number, leaseMs: number): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE inbound_events SET lease_until = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT id FROM inbound_events
      WHERE processed_at IS NULL AND (lease_until IS NULL OR lease_until < now())
      ORDER BY received_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id`;
  return rows.map((row) => row.id);
}

/** Wakes idle workers at once (they also poll, so a lost notification only costs a second). */
export async function wakeWorkers(db: Pick<TDb, "$executeRaw">): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${WORK_CHANNEL}, '')`;
}
