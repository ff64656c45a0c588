/**
 * The connector registry: every network OneProfile knows, and how to reach the ones that work.
 * The `networks` table mirrors it (server/database/prepare.ts), keeping the admin's on/off switch.
 */
import { SANDBOX_NETWORK_IDS, isSandboxNetworkId } from "../../sandbox/networks";
import { PLANNED_NETWORKS } from "./planned";
import { createSandboxConnector, sandboxDefinition } from "./sandbox/connector";
import type { TConnector, TNetworkDefinition } from "./types";

export const NETWORK_DEFINITIONS: TNetworkDefinition[] = [
  ...SANDBOX_NETWORK_IDS.map(sandboxDefinition),
  ...PLANNED_NETWORKS,
];

export function definitionOf(networkId: string): TNetworkDefinition | undefined {
  return NETWORK_DEFINITIONS.find((definition) => definition.id === networkId);
}

/** Finds the connector for a network; null when the network has none (yet). */
export type TConnectorResolver = (networkId: string) => TConnector | null;

/** `sandboxUrl: null`: the sandbox networks are off (production without SANDBOX_URL); they have no connector. */
export function createConnectorResolver(options: {
  sandboxUrl: string | null;
  timeoutMs?: number;
}): TConnectorResolver {
  const cache = new Map<string, TConnector>();
  const { sandboxUrl } = options;
  return (networkId) => {
    if (!isSandboxNetworkId(networkId) || sandboxUrl === null) return null;
    let connector = cache.get(networkId);
    if (!connector)
      cache.set(networkId, (connector = createSandboxConnector(networkId, sandboxUrl, options.timeoutMs)));
    return connector;
  };
}

/** What the `networks.capabilities` column holds: everything the UI needs to offer a link. */
export function capabilitiesRecord(definition: TNetworkDefinition) {
  return { fields: definition.capabilities, loginForm: definition.loginForm, color: definition.color };
}
