/**
 * A network's row as OneProfile reads it: its capabilities, login form and colour. Only connector
 * types below it, so the dispatcher, the profile and the registration server all read it
 * without importing each other.
 */
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { ZCapabilities, type TCapabilities, type TLoginForm, type TProfileField } from "../connectors/types";

export interface TNetworkView {
  id: string;
  displayName: string;
  isEnabled: boolean;
  /** A connector is registered for it; without one it is coming soon. */
  hasConnector: boolean;
  /** Enabled and backed by a connector. */
  isLinkable: boolean;
  color: string;
  capabilities: TCapabilities;
  loginForm: TLoginForm;
}

interface TCapabilitiesRecord {
  fields: unknown;
  loginForm: TLoginForm;
  color: string;
}

interface TNetworkRow {
  id: string;
  displayName: string;
  isEnabled: boolean;
  hasConnector: boolean;
  capabilities: unknown;
}

/** A `networks` row as a view: the capabilities column holds the fields, login form and colour. */
export function toNetworkView(row: TNetworkRow): TNetworkView {
  const record = row.capabilities as TCapabilitiesRecord;
  return {
    id: row.id,
    displayName: row.displayName,
    isEnabled: row.isEnabled,
    hasConnector: row.hasConnector,
    isLinkable: row.isEnabled && row.hasConnector,
    color: record.color,
    capabilities: ZCapabilities.parse(record.fields),
    loginForm: record.loginForm,
  };
}

/** The network as one linked account has it (accountNetworkView). */
export interface TAccountNetworkView extends TNetworkView {
  /**
   * What avatar renditions for this account are kept under (server/profile/avatars.ts): the
   * network's id, or, for an account whose avatar rules are its own, the id and those rules.
   */
  renditionKey: string;
}

/** The network id with the account's own avatar rules, when they differ from the network's. */
export function renditionKeyOf(networkId: string, own: TCapabilities, network: TCapabilities): string {
  if (isDeepStrictEqual(own.avatar, network.avatar)) return networkId;
  // Keys sorted: the same rules hash the same whichever object they came in.
  const rules = JSON.stringify(own.avatar ?? null, own.avatar ? Object.keys(own.avatar).sort() : undefined);
  return `${networkId}#${createHash("sha256").update(rules).digest("hex").slice(0, 16)}`;
}

/**
 * The network as one linked account has it: the account's own capabilities where its server can
 * show less than the network's definition says (no PEP, a smaller stanza limit: the connector read
 * them, `linked_accounts.capabilities`), else the network's.
 */
export function accountNetworkView(account: { capabilities: unknown; network: TNetworkRow }): TAccountNetworkView {
  const network = toNetworkView(account.network);
  if (account.capabilities === null || account.capabilities === undefined) {
    return { ...network, renditionKey: network.id };
  }
  const own = ZCapabilities.parse(account.capabilities);
  return { ...network, capabilities: own, renditionKey: renditionKeyOf(network.id, own, network.capabilities) };
}

/** Which fields these capabilities can show. */
export function supportedFields(capabilities: TCapabilities): Record<TProfileField, boolean> {
  return {
    avatar: Boolean(capabilities.avatar),
    displayName: Boolean(capabilities.displayName),
    signature: Boolean(capabilities.signature),
    mood: Boolean(capabilities.mood),
  };
}

/**
 * What to store as an account's own capabilities (`linked_accounts.capabilities`): what its
 * connector read, or null when it read nothing or the same as the network's definition.
 */
export function ownCapabilities(network: TCapabilities, read: TCapabilities | undefined): TCapabilities | null {
  // Checked (and its keys put in the schema's order) before it is stored.
  return read === undefined || isDeepStrictEqual(read, network) ? null : ZCapabilities.parse(read);
}
