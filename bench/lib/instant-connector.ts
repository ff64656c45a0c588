/**
 * An in-process connector for the bench: answers every write at once (or after a fixed latency)
 * with a vendor mark, so what is measured is OneProfile's own dispatch, not a vendor.
 */
import { z } from "zod";
import type { TConnector } from "../../server/connectors/types";
import { ConnectorError } from "../../server/connectors/types";
import { definitionOf, type TConnectorResolver } from "../../server/connectors/registry";

export function instantConnectors(options: {
  latencyMs: number;
  /** Called when a write starts, with what it writes (latency measurements). */
  onApply?: (settings: { signature?: string }) => void;
}): TConnectorResolver {
  let mark = 0;
  const cache = new Map<string, TConnector>();
  return (networkId) => {
    const definition = definitionOf(networkId);
    if (!definition) return null;
    let connector = cache.get(networkId);
    if (!connector) {
      const refuse = async (): Promise<never> => {
        throw new ConnectorError("unsupported", "The bench connector only writes.");
      };
      connector = {
        definition,
        credentialsSchema: z.object({ login: z.string(), secret: z.string(), session: z.string().optional() }),
        feed: { kind: "poll" },
        parseReport: () => {
          throw new ConnectorError("permanent", "The bench connector receives no events.");
        },
        client: () => ({
          verify: refuse,
          read: refuse,
          downloadAvatar: refuse,
          close: async () => {},
          async apply(settings) {
            options.onApply?.(settings);
            if (options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
            mark += 1;
            const marks: Record<string, number> = {};
            for (const field of ["displayName", "signature", "mood"] as const) {
              if (settings[field] !== undefined) marks[field] = mark;
            }
            if (settings.avatar !== undefined) marks.avatar = mark;
            return { marks };
          },
        }),
      };
      cache.set(networkId, connector);
    }
    return connector;
  };
}
