/**
 * Where an XMPP domain's clients connect (RFC 6120 §3.2): the hosts its `_xmpp-client._tcp` SRV
 * records name, in order, or the domain itself on port 5222 when it has none. Pure but for the
 * injected DNS lookup; the caller resolves and checks each host's addresses (../public-address.ts).
 */
import { resolveSrv } from "node:dns/promises";
import { ConnectorError } from "../types";

export interface TXmppTarget {
  host: string;
  port: number;
}

export type TSrvLookup = (
  name: string,
) => Promise<ReadonlyArray<{ name: string; port: number; priority: number; weight: number }>>;

const DEFAULT_PORT = 5222;
/** DNS answers meaning "no such record" (the fallback applies), as node:dns names them. */
const NO_RECORD = new Set(["ENODATA", "ENOTFOUND", "NOTFOUND", "ENONAME"]);

export async function xmppTargets(domain: string, lookupSrv: TSrvLookup = resolveSrv): Promise<TXmppTarget[]> {
  let records;
  try {
    records = await lookupSrv(`_xmpp-client._tcp.${domain}`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && NO_RECORD.has(code)) return [{ host: domain, port: DEFAULT_PORT }];
    throw new ConnectorError("transient", `The XMPP server for ${domain} could not be looked up.`);
  }
  if (records.length === 0) return [{ host: domain, port: DEFAULT_PORT }];
  // One record whose target is "." says the domain offers no client service (RFC 2782).
  if (records.length === 1 && (records[0]!.name === "." || records[0]!.name === "")) {
    throw new ConnectorError("permanent", `${domain} offers no XMPP service for clients.`);
  }
  // Lowest priority first; among equals the heavier first (RFC 2782 picks among equals at random,
  // weighted: a fixed order tries the same host first every time, which is what a retry wants).
  return [...records]
    .filter((record) => record.name !== "." && record.name !== "")
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((record) => ({ host: record.name.replace(/\.$/, ""), port: record.port }));
}

/** The one target a person named for their account (definition.ts ZXmppServer: `host[:port]`). */
export function namedTarget(server: string): TXmppTarget {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(server);
  if (!match) throw new ConnectorError("permanent", `"${server}" is not a server name.`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port: match[2] ? Number(match[2]) : DEFAULT_PORT };
}

/**
 * Test-only SRV answers, `domain=host:port,…` (the tests' Prosody serves a domain no DNS knows);
 * any other name has no record, so the domain itself is tried.
 */
export function srvAnswers(spec: string): TSrvLookup {
  const answers = new Map<string, Awaited<ReturnType<TSrvLookup>>>(
    spec.split(",").map((entry) => {
      const [domain, target] = entry.split("=") as [string, string];
      const colon = target.lastIndexOf(":");
      return [
        `_xmpp-client._tcp.${domain}`,
        [{ name: target.slice(0, colon), port: Number(target.slice(colon + 1)), priority: 0, weight: 0 }],
      ] as const;
    }),
  );
  return async (name) => {
    const records = answers.get(name);
    if (records) return records;
    throw Object.assign(new Error(`no SRV record for ${name}`), { code: "ENOTFOUND" });
  };
}
