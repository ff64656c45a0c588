/**
 * Support commands.
 *   npm run admin -- promote <email>   make a user an administrator
 *   npm run admin -- demote <email>    make an administrator a normal user
 */
import { connectDatabase } from "../server/database/connect";
import { prepareDatabase } from "../server/database/prepare";
import { setRole } from "../server/auth/users";
import { createDb } from "../server/db";

const USAGE = "Usage: npm run admin -- promote <email> | demote <email>";
const [command, email] = process.argv.slice(2);
if ((command !== "promote" && command !== "demote") || !email) {
  console.error(USAGE);
  process.exit(2);
}

const database = await connectDatabase();
let code = 0;
try {
  await prepareDatabase(database.url);
  const db = createDb(database.url);
  const user = await setRole(db, email, command === "promote" ? "ADMIN" : "USER");
  console.log(`${user.email} is now ${user.role === "ADMIN" ? "an administrator" : "a normal user"}.`);
  await db.$disconnect();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  code = 1;
} finally {
  await database.stop();
}
process.exit(code);
