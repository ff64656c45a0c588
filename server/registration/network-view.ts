/**
 * A network's row as OneProfile reads it: its capabilities, login form and colour. Only connector
 * types below it, so the dispatcher, the profile and the registration server all read it
 * without importing each other.
 */
import { ZCapabilities, type TCapabilities, type TLoginForm } from "../connectors/types";

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

/** A `networks` row as a view: the capabilities column holds the fields, login form and colour. */
export function toNetworkView(row: {
  id: string;
  displayName: string;
  isEnabled: boolean;
  hasConnector: boolean;
  capabilities: unknown;
}): TNetworkView {
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
