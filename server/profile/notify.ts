import type { TDb } from "../db";

/** Channel on which every change to a user's updates or deliveries is announced (payload: user id). */
export const ACTIVITY_CHANNEL = "oneprofile_activity";

type TExecutor = Pick<TDb, "$executeRaw">;

/** NOTIFY is transactional: listeners hear it only when (and if) the transaction commits. */
export async function notifyActivity(db: TExecutor, ...userIds: string[]): Promise<void> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return;
  await db.$executeRaw`
    SELECT pg_notify(${ACTIVITY_CHANNEL}, value) FROM jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb)`;
}
