/**
 * An in-process connector for every network, for tests of the engine's own logic: it verifies any
 * password, applies every write at once (each account keeps what was written, under a rising
 * vendor mark that verify and read report back), or answers with the error kind `answerOf` names
 * for that network; `parseReport` does what the test says.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { definitionOf, type TConnectorResolver } from "../server/connectors/registry";
import {
  ConnectorError,
  type TAccountClient,
  type TAccountContext,
  type TConnector,
  type TConnectorErrorKind,
  type TVendorProfile,
} from "../server/connectors/types";

export function fakeConnectors(
  options: {
    answerOf?: (networkId: string) => "ok" | TConnectorErrorKind;
    parseReport?: TConnector["parseReport"];
    /** The vendor's next mark (a test whose reports carry marks of their own shares its counter). */
    nextMark?: () => number;
  } = {},
): TConnectorResolver {
  const accounts = new Map<string, TVendorProfile>();
  return (networkId) => {
    const definition = definitionOf(networkId);
    if (!definition) return null;
    const shown = (login: string): TVendorProfile =>
      accounts.get(`${networkId}|${login}`) ?? {
        displayName: "",
        signature: "",
        mood: null,
        moodText: "",
        avatar: null,
        mark: 0,
      };
    return {
      definition,
      credentialsSchema: z.object({ login: z.string(), secret: z.string(), session: z.string().optional() }),
      feed: { kind: "poll" },
      parseReport:
        options.parseReport ??
        (() => {
          throw new ConnectorError("permanent", "No events in this test.");
        }),
      client: ({ credentials }) => ({
        verify: async () => shown(credentials.login),
        read: async () => shown(credentials.login),
        downloadAvatar: async () => Buffer.alloc(0),
        close: async () => {},
        async apply(settings) {
          const answer = options.answerOf?.(networkId) ?? "ok";
          if (answer !== "ok") throw new ConnectorError(answer, `${networkId} answered ${answer}`);
          const { avatar, ...text } = settings;
          const before = shown(credentials.login);
          const mark = options.nextMark?.() ?? Number(before.mark) + 1;
          const after: TVendorProfile = { ...before, ...text, mark };
          if (avatar !== undefined) {
            const sha256 = avatar ? createHash("sha256").update(avatar.bytes).digest("hex") : null;
            after.avatar = sha256 ? { url: `https://fake.invalid/${sha256}`, sha256 } : null;
          }
          accounts.set(`${networkId}|${credentials.login}`, after);
          const fields = Object.keys(text).map((field) => (field === "moodText" ? "mood" : field));
          if (avatar !== undefined) fields.push("avatar");
          return { marks: Object.fromEntries(fields.map((field) => [field, after.mark])) };
        },
      }),
    };
  };
}

/** The same connectors with each client's methods replaced where `override` says (a test's own behaviour). */
export function overrideClients(
  connectors: TConnectorResolver,
  override: (client: TAccountClient, context: TAccountContext, networkId: string) => Partial<TAccountClient>,
): TConnectorResolver {
  return (networkId) => {
    const connector = connectors(networkId);
    if (!connector) return null;
    return {
      ...connector,
      client(context) {
        const client = connector.client(context);
        return { ...client, ...override(client, context, networkId) };
      },
    };
  };
}
