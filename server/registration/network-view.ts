/**
 * A network's row as OneProfile reads it: its capabilities, login form and colour. Only connector
 * types below it, so the dispatcher, the profile and the registration server all read it
 * without importing each other.
 */
import type { TCapabilities, TLoginForm } from "../connectors/types";

export interface TNetworkView {
  id: string;
  displayName: string;
  isEnabled: boolean;
  kind: "sandbox" | "planned";
  /** Enabled and backed by a working connector. */
  isLinkable: boolean;
  color: string;
  capabilities: TCapabilities;
  loginForm: TLoginForm;
}

interface TCapabilitiesRecord {
  fields: TCapabilities;
  loginForm: TLoginForm;
  color: string;
}

/** A `networks` row as a view: the capabilities column holds the fields, login form and colour. */
export function toNetworkView(row: {
  id: string;
  displayName: string;
  isEnabled: boolean;
  connectorKind: string;
  capabilities: unknown;
}): TNetworkView {
  const record = row.capabilities as TCapabilitiesRecord;
  const kind = row.connectorKind === "sandbox" ? "sandbox" : "planned";
  return {
    id: row.id,
    displayName: row.displayName,
    isEnabled: row.isEnabled,
    kind,
    isLinkable: row.isEnabled && kind !== "planned",
    color: record.color,
    capabilities: record.fields,
    loginForm: record.loginForm,
  };
}
