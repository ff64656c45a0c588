import { env } from "../env";
import { createConnectorResolver, type TConnectorResolver } from "./registry";
import { srvAnswers } from "./xmpp/resolve";

export const DEFAULT_SANDBOX_URL = "http://127.0.0.1:4010";

let resolver: TConnectorResolver | undefined;

/** The process's connectors, configured from the environment. */
export function processConnectors(): TConnectorResolver {
  return (resolver ??= createConnectorResolver({
    // The sandbox networks are a demo: in production they are off unless SANDBOX_URL names one.
    sandbox: env.IS_SANDBOX_ENABLED
      ? {
          url: env.SANDBOX_URL ?? DEFAULT_SANDBOX_URL,
          webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
          timeoutMs: env.CONNECTOR_TIMEOUT_MS,
        }
      : null,
    xmpp: {
      isLoopbackAllowed: env.CONNECTOR_LOOPBACK_ALLOWED,
      // Not CONNECTOR_TIMEOUT_MS: a login is several round trips and a password hash on the server,
      // bounded by the protocol layer's own timeouts (protocol.ts).
      ...(env.XMPP_TEST_SRV ? { dns: { srv: srvAnswers(env.XMPP_TEST_SRV) } } : {}),
    },
    bluesky: {
      service: env.BLUESKY_SERVICE,
      isLoopbackAllowed: env.CONNECTOR_LOOPBACK_ALLOWED,
      timeoutMs: env.CONNECTOR_TIMEOUT_MS,
    },
  }));
}
