/**
 * How each network is doing, read from the tables: its linked accounts and how many are failing,
 * paused or waiting for a new password, its retrying jobs and quarantined (dead-lettered)
 * accounts. Raw SQL: the job counts group by the account's network, a join Prisma's groupBy
 * cannot express.
 */
import type { TDb } from "../db";

export interface TNetworkHealth {
  networkId: string;
  linkedAccounts: number;
  failingAccounts: number;
  pausedAccounts: number;
  needsReauth: number;
  retryingJobs: number;
  quarantinedAccounts: number;
}

export async function networkHealth(db: TDb): Promise<Map<string, TNetworkHealth>> {
  const rows = await db.$queryRaw<
    Array<{
      network_id: string;
      accounts: bigint;
      failing: bigint;
      paused: bigint;
      needs_reauth: bigint;
      retrying: bigint;
      quarantined: bigint;
    }>
  >`
    SELECT n.id AS network_id,
      count(a.id) AS accounts,
      count(a.id) FILTER (WHERE a.consecutive_failures > 0) AS failing,
      count(a.id) FILTER (WHERE a.paused_at IS NOT NULL) AS paused,
      count(a.id) FILTER (WHERE a.status = 'NEEDS_REAUTH') AS needs_reauth,
      coalesce(max(j.retrying), 0) AS retrying,
      coalesce(max(j.quarantined), 0) AS quarantined
    FROM networks n
    LEFT JOIN linked_accounts a ON a.network_id = n.id
    LEFT JOIN (
      SELECT b.network_id,
        count(*) FILTER (WHERE j.state = 'PENDING' AND j.attempts > 0) AS retrying,
        count(DISTINCT j.linked_account_id) FILTER (WHERE j.state = 'DEAD') AS quarantined
      FROM jobs j JOIN linked_accounts b ON b.id = j.linked_account_id
      WHERE j.state = 'DEAD' OR (j.state = 'PENDING' AND j.attempts > 0)
      GROUP BY b.network_id
    ) j ON j.network_id = n.id
    GROUP BY n.id`;
  return new Map(
    rows.map((row) => [
      row.network_id,
      {
        networkId: row.network_id,
        linkedAccounts: Number(row.accounts),
        failingAccounts: Number(row.failing),
        pausedAccounts: Number(row.paused),
        needsReauth: Number(row.needs_reauth),
        retryingJobs: Number(row.retrying),
        quarantinedAccounts: Number(row.quarantined),
      },
    ]),
  );
}
