import type { TConnectorResolver } from "../connectors/registry";
import type { TKeyring } from "../crypto/secrets";
import type { TDb } from "../db";

/** What the registration domain needs; the API layer passes the process's, tests their own. */
export interface TRegistrationDeps {
  db: TDb;
  connectors: TConnectorResolver;
  keyring: TKeyring;
}
