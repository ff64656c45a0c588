/**
 * The sandbox connector: one implementation for the four emulated networks (QQ, MSN, Fetion,
 * Facebook), parameterised by network. It speaks the sandbox vendor's HTTP API (./client.ts) and
 * receives its signed webhooks (./webhook.ts).
 */
import { z } from "zod";
import type { TConnector } from "../types";
import { createSandboxClient, DEFAULT_TIMEOUT_MS } from "./client";
import { sandboxDefinition } from "./definition";
import type { TSandboxNetworkId } from "./networks";
import { parseSandboxReport } from "./report";
import { sandboxWebhookFeed } from "./webhook";

export interface TSandboxConfig {
  /** The sandbox vendor's base URL. */
  url: string;
  /** The secret its webhooks are signed with. */
  webhookSecret: string;
  timeoutMs?: number;
}

const ZCredentials = z.object({
  login: z.string().min(1).max(320),
  secret: z.string().min(1).max(1000),
  session: z.string().max(2000).optional(),
});

export function createSandboxConnector(id: TSandboxNetworkId, config: TSandboxConfig): TConnector {
  const options = { baseUrl: config.url, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  return {
    definition: sandboxDefinition(id),
    credentialsSchema: ZCredentials,
    client: (context) => createSandboxClient(id, context, options),
    feed: sandboxWebhookFeed(id, config.webhookSecret),
    parseReport: parseSandboxReport,
  };
}
