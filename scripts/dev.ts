/** `npm run dev`: database (embedded unless DATABASE_URL), migrations, then `next dev`. */
import { connectDatabase } from "../server/database/connect";
import { migrate } from "../server/database/migrate";
import { env } from "../server/env";
import { runNext } from "./lib/run-next";

const port = String(env.PORT);
const database = await connectDatabase();
const applied = await migrate(database.url);
if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
console.log(
  `OneProfile: http://localhost:${port}${env.DATABASE_URL ? "" : " (embedded Postgres under " + env.ONEPROFILE_DATA_DIR + ")"}`,
);
runNext(["dev", "--port", port], database, {
  NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
  NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
});
