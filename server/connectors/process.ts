import { env } from "../env";
import { createConnectorResolver, type TConnectorResolver } from "./registry";

export const DEFAULT_SANDBOX_URL = "http://127.0.0.1:4010";

let resolver: TConnectorResolver | undefined;

/** The process's connectors, configured from the environment. */
export function processConnectors(): TConnectorResolver {
  return (resolver ??= createConnectorResolver({
    // The sandbox networks are a demo: in production they are off unless SANDBOX_URL names one.
    sandboxUrl: env.IS_SANDBOX_ENABLED ? (env.SANDBOX_URL ?? DEFAULT_SANDBOX_URL) : null,
    timeoutMs: env.CONNECTOR_TIMEOUT_MS,
  }));
}
