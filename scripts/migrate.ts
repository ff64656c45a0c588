/** `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded dev database). */
import { withDatabase } from "./lib/with-database";

await withDatabase(async () => {
  console.log("Database is up to date.");
});
