/**
 * The XMPP connector: accounts on any XMPP server, linked with their JID and password (SASL),
 * changed through PEP, and watched over a session of their own (a change made from another client
 * arrives as that node's notification).
 */
import { z } from "zod";
import type { TConnector } from "../types";
import { createXmppClient, type TXmppConfig } from "./client";
import { XMPP_DEFINITION } from "./definition";
import { parseXmppReport } from "./report";

export type { TXmppConfig };

const ZCredentials = z.object({
  login: z.string().min(3).max(3071),
  secret: z.string().min(1).max(1000),
  server: z.string().max(300).optional(),
  session: z.string().max(2000).optional(),
});

export function createXmppConnector(config: TXmppConfig): TConnector {
  return {
    definition: XMPP_DEFINITION,
    credentialsSchema: ZCredentials,
    client: (context) => createXmppClient(context, config),
    feed: { kind: "watch" },
    parseReport: parseXmppReport,
  };
}
