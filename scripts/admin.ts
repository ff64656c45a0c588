/**
 * Support commands, audited (the audit log shows them with no actor: a command run on the server).
 *   npm run admin -- promote <email> [reason]   make a user an administrator
 *   npm run admin -- demote <email> [reason]    make an administrator a normal user
 */
import { setRole } from "../server/auth/users";
import { withDatabase } from "./lib/with-database";

const USAGE = 'Usage: npm run admin -- promote <email> ["reason"] | demote <email> ["reason"]';
const [command, email, ...reasonWords] = process.argv.slice(2);
if ((command !== "promote" && command !== "demote") || !email) {
  console.error(USAGE);
  process.exit(2);
}
const reason = reasonWords.join(" ").trim() || `npm run admin -- ${command}`;

await withDatabase(async (db) => {
  const user = await setRole(db, email, command === "promote" ? "ADMIN" : "USER", { actorId: null, reason });
  console.log(`${user.email} is now ${user.role === "ADMIN" ? "an administrator" : "a normal user"}.`);
});
