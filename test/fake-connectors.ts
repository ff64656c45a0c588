/**
 * An in-process connector for every network, for tests of the engine's own logic: it verifies any
 * password, applies every write at once with a rising vendor mark, or answers with the error kind
 * `answerOf` names for that network; `parseReport` does what the test says.
 */
import { definitionOf, type TConnectorResolver } from "../server/connectors/registry";
import { ConnectorError, type TConnector, type TConnectorErrorKind } from "../server/connectors/types";

export function fakeConnectors(
  options: {
    answerOf?: (networkId: string) => "ok" | TConnectorErrorKind;
    parseReport?: TConnector["parseReport"];
  } = {},
): TConnectorResolver {
  let mark = 0;
  return (networkId) => {
    const definition = definitionOf(networkId);
    if (!definition) return null;
    const empty = { displayName: "", signature: "", mood: null, moodText: "", avatarUrl: null, mark: 0 };
    return {
      definition,
      verify: async () => empty,
      read: async () => empty,
      parseReport:
        options.parseReport ??
        (() => {
          throw new ConnectorError("permanent", "No events in this test.");
        }),
      downloadAvatar: async () => Buffer.alloc(0),
      async apply(_credentials, settings) {
        const answer = options.answerOf?.(networkId) ?? "ok";
        if (answer !== "ok") throw new ConnectorError(answer, `${networkId} answered ${answer}`);
        mark += 1;
        return { marks: Object.fromEntries(Object.keys(settings).map((field) => [field, mark])) };
      },
    };
  };
}
