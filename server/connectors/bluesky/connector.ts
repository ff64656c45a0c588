/**
 * The Bluesky connector: accounts on bsky.social (or a PDS its entryway knows), linked with their
 * handle and an app password, changed through their profile record, and polled: Bluesky pushes
 * nothing per account, so changes made in another app are found by the read-back
 * (BLUESKY_DEFINITION.readBackEveryMs).
 */
import { z } from "zod";
import { ConnectorError, type TConnector } from "../types";
import { BLUESKY_ENTRYWAY, createBlueskyClient, type TBlueskyConfig } from "./client";
import { BLUESKY_DEFINITION } from "./definition";

export { BLUESKY_ENTRYWAY, type TBlueskyConfig };

const ZCredentials = z.object({
  login: z.string().min(3).max(2048),
  secret: z.string().min(1).max(1000),
  session: z.string().max(20_000).optional(),
});

export function createBlueskyConnector(config: TBlueskyConfig): TConnector {
  return {
    definition: BLUESKY_DEFINITION,
    credentialsSchema: ZCredentials,
    client: (context) => createBlueskyClient(context, config),
    feed: { kind: "poll" },
    parseReport() {
      // Nothing is recorded for a polled network: what a read finds is judged as it is read.
      throw new ConnectorError("permanent", "Bluesky sends no reports; its accounts are read back.");
    },
  };
}
