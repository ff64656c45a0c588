import { env } from "../env";
import { createConnectorResolver, type TConnectorResolver } from "./registry";

export const DEFAULT_SANDBOX_URL = "http://127.0.0.1:4010";

let resolver: TConnectorResolver | undefined;

/** The process's connectors, configured from the environment. */
export function processConnectors(): TConnectorResolver {
  return (resolver ??= createConnectorResolver({
    sandboxUrl: env.SANDBOX_URL ?? DEFAULT_SANDBOX_URL,
    timeoutMs: env.CONNECTOR_TIMEOUT_MS,
  }));
}
