import { capabilitiesRecord, CONNECTED_NETWORK_IDS, NETWORK_DEFINITIONS } from "../connectors/registry";
import { createDb, type TDb } from "../db";
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

/** Inserts new networks (enabled) and refreshes known ones, keeping each one's on/off switch. */
async function syncNetworkRegistry(db: TDb): Promise<void> {
  await db.$transaction(
    NETWORK_DEFINITIONS.map((definition, index) => {
      const data = {
        displayName: definition.displayName,
        hasConnector: CONNECTED_NETWORK_IDS.includes(definition.id),
        capabilities: capabilitiesRecord(definition) as object,
        sortOrder: index,
      };
      return db.network.upsert({ where: { id: definition.id }, create: { id: definition.id, ...data }, update: data });
    }),
  );
}
