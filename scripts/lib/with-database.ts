import { connectDatabase } from "../../server/database/connect";
import { prepareDatabase } from "../../server/database/prepare";
import { createDb, type TDb } from "../../server/db";

/**
 * For command-line tools: runs `task` against the configured database (starting the embedded
 * one if needed, or joining a running `npm run dev`), prints its error plainly, and exits.
 */
export async function withDatabase(task: (db: TDb) => Promise<void>): Promise<never> {
  const database = await connectDatabase();
  let code = 0;
  try {
    await prepareDatabase(database.url);
    const db = createDb(database.url);
    try {
      await task(db);
    } finally {
      await db.$disconnect();
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    code = 1;
  } finally {
    await database.stop();
  }
  process.exit(code);
}
