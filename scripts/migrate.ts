/** `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded dev database). */
import { connectDatabase } from "../server/database/connect";
import { prepareDatabase } from "../server/database/prepare";

const database = await connectDatabase();
try {
  const applied = await prepareDatabase(database.url);
  console.log(applied.length > 0 ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await database.stop();
}
