import { env } from "../env";
import { createKeyring, type TKeyring } from "./secrets";

let keyring: TKeyring | undefined;

/** The process's keyring, from ONEPROFILE_ENCRYPTION_KEY (+ _OLD_KEYS). */
export function processKeyring(): TKeyring {
  return (keyring ??= createKeyring(env.ONEPROFILE_ENCRYPTION_KEY, env.ONEPROFILE_ENCRYPTION_OLD_KEYS));
}
