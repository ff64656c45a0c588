import { db as processDb, type TDb } from "../db";

/** Whether the database answers (the health route's readiness check): throws when it does not. */
export async function checkDatabase(db: Pick<TDb, "$queryRaw"> = processDb): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
