/** `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded dev database). */
import { connectDatabase } from "../server/database/connect";
import { migrate } from "../server/database/migrate";

const database = await connectDatabase();
try {
  const applied = await migrate(database.url);
  console.log(applied.length > 0 ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await database.stop();
}
