import { syncNetworkRegistry } from "../connectors/registry";
import { createDb } from "../db";
import { migrate } from "./migrate";

/** Brings a database up to date: pending migrations, then the network registry rows. */
export async function prepareDatabase(url: string): Promise<string[]> {
  const applied = await migrate(url);
  const db = createDb(url);
  try {
    await syncNetworkRegistry(db);
  } finally {
    await db.$disconnect();
  }
  return applied;
}
