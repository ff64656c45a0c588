/**
 * `npm run keys:rotate`: re-encrypt stored credentials with the current key.
 * Rotation: set ONEPROFILE_ENCRYPTION_KEY to a new key and move the old one into
 * ONEPROFILE_ENCRYPTION_OLD_KEYS; restart; run this; then drop the old key.
 * A row that cannot be decrypted does not stop the others: all the rest are re-encrypted, then
 * the accounts left behind are reported grouped by reason (a count and the first 20 ids each).
 */
import { processKeyring } from "../server/crypto/keyring";
import { rotateCredentialKeys } from "../server/registration/rotate-keys";
import { withDatabase } from "./lib/with-database";

await withDatabase(async (db) => {
  const keyring = processKeyring();
  const rotated = await rotateCredentialKeys(db, keyring);
  console.log(`Re-encrypted ${rotated} account${rotated === 1 ? "" : "s"} with key "${keyring.current.id}".`);
});
