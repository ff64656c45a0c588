/**
 * Test support for the fault suite: saves profile changes for the given users in a loop, one
 * line on stdout per committed save, until it is killed (kill -9 mid-transaction is the point).
 */
import { createDb } from "../server/db";
import { updateProfile } from "../server/profile/update";

const db = createDb(process.env.DATABASE_URL!);
const users = (process.env.SAVE_LOOP_USERS ?? "").split(",").filter(Boolean);
for (let index = 0; ; index++) {
  const userId = users[index % users.length]!;
  await updateProfile(db, { userId, changes: { signature: `loop ${index}` }, source: "portal" });
  process.stdout.write(`${index}\n`);
}
