/**
 * Support commands.
 *   npm run admin -- promote <email>   make a user an administrator
 *   npm run admin -- demote <email>    make an administrator a normal user
 */
import { setRole } from "../server/auth/users";
import { withDatabase } from "./lib/with-database";

const USAGE = "Usage: npm run admin -- promote <email> | demote <email>";
const [command, email] = process.argv.slice(2);
if ((command !== "promote" && command !== "demote") || !email) {
  console.error(USAGE);
  process.exit(2);
}

await withDatabase(async (db) => {
  const user = await setRole(db, email, command === "promote" ? "ADMIN" : "USER");
  console.log(`${user.email} is now ${user.role === "ADMIN" ? "an administrator" : "a normal user"}.`);
});
