/**
 * `npm run keys:rotate`: re-encrypt stored credentials with the current key.
 * Rotation: set ONEPROFILE_ENCRYPTION_KEY to a new key and move the old one into
 * ONEPROFILE_ENCRYPTION_OLD_KEYS; restart; run this; then drop the old key.
 */
import { connectDatabase } from "../server/database/connect";
import { prepareDatabase } from "../server/database/prepare";
import { processKeyring } from "../server/crypto/keyring";
import { createDb } from "../server/db";
import { rotateCredentialKeys } from "../server/registration/rotate-keys";

const database = await connectDatabase();
let code = 0;
try {
  await prepareDatabase(database.url);
  const db = createDb(database.url);
  const keyring = processKeyring();
  const rotated = await rotateCredentialKeys(db, keyring);
  console.log(`Re-encrypted ${rotated} account${rotated === 1 ? "" : "s"} with key "${keyring.current.id}".`);
  await db.$disconnect();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  code = 1;
} finally {
  await database.stop();
}
process.exit(code);
