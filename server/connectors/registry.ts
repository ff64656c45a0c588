/**
 * The connector registry: every network OneProfile knows, and the connectors of the ones that work.
 * A network can be linked when a connector is registered for it and support has it switched on;
 * the others are listed as coming soon. The `networks` table mirrors the definitions
 * (server/database/prepare.ts), keeping the admin's on/off switch.
 */
import { BLUESKY_ENTRYWAY, createBlueskyConnector, type TBlueskyConfig } from "./bluesky/connector";
import { BLUESKY_DEFINITION } from "./bluesky/definition";
import { PLANNED_NETWORKS } from "./planned";
import { createSandboxConnector, type TSandboxConfig } from "./sandbox/connector";
import { sandboxDefinition } from "./sandbox/definition";
import { SANDBOX_NETWORK_IDS } from "./sandbox/networks";
import type { TConnector, TNetworkDefinition } from "./types";
import { createXmppConnector, type TXmppConfig } from "./xmpp/connector";
import { XMPP_DEFINITION } from "./xmpp/definition";

export const NETWORK_DEFINITIONS: TNetworkDefinition[] = [
  ...SANDBOX_NETWORK_IDS.map(sandboxDefinition),
  XMPP_DEFINITION,
  BLUESKY_DEFINITION,
  ...PLANNED_NETWORKS,
];

/** The networks this build has a connector for; the others are listed as coming soon. */
export const CONNECTED_NETWORK_IDS: readonly string[] = [
  ...SANDBOX_NETWORK_IDS,
  XMPP_DEFINITION.id,
  BLUESKY_DEFINITION.id,
];

export function definitionOf(networkId: string): TNetworkDefinition | undefined {
  return NETWORK_DEFINITIONS.find((definition) => definition.id === networkId);
}

/** Finds the connector for a network; null when the network has none (yet). */
export type TConnectorResolver = (networkId: string) => TConnector | null;

export interface TConnectorConfig {
  /** The sandbox vendor; null: the sandbox networks are off (production without SANDBOX_URL). */
  sandbox: TSandboxConfig | null;
  /** XMPP: always on in production; tests pass loopback servers. */
  xmpp?: TXmppConfig;
  /** Bluesky: bsky.social's entryway in production; tests pass their own PDS. */
  bluesky?: TBlueskyConfig;
}

export function createConnectorResolver(config: TConnectorConfig): TConnectorResolver {
  const connectors = new Map<string, TConnector>();
  if (config.sandbox) {
    for (const id of SANDBOX_NETWORK_IDS) connectors.set(id, createSandboxConnector(id, config.sandbox));
  }
  connectors.set(XMPP_DEFINITION.id, createXmppConnector(config.xmpp ?? { isLoopbackAllowed: false }));
  connectors.set(
    BLUESKY_DEFINITION.id,
    createBlueskyConnector(config.bluesky ?? { service: BLUESKY_ENTRYWAY, isLoopbackAllowed: false }),
  );
  return (networkId) => connectors.get(networkId) ?? null;
}

/** What the `networks.capabilities` column holds: everything the UI needs to offer a link. */
export function capabilitiesRecord(definition: TNetworkDefinition) {
  const { loginSchema: _login, serverSchema: _server, kind: _kind, ...loginForm } = definition.loginFlows[0];
  return { fields: definition.capabilities, loginForm, color: definition.color };
}
