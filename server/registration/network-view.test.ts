import { describe, expect, it } from "vitest";
import { capabilitiesRecord } from "../connectors/registry";
import { XMPP_DEFINITION } from "../connectors/xmpp/definition";
import { accountNetworkView, ownCapabilities, renditionKeyOf, supportedFields } from "./network-view";

const network = {
  id: "xmpp",
  displayName: "XMPP (Jabber)",
  isEnabled: true,
  hasConnector: true,
  capabilities: capabilitiesRecord(XMPP_DEFINITION),
};
const full = XMPP_DEFINITION.capabilities;
const smallerAvatars = { ...full, avatar: { ...full.avatar!, maxBytes: 32_000 } };

describe("an account's own capabilities", () => {
  it("are stored only when its connector read something other than the network's", () => {
    expect(ownCapabilities(full, undefined)).toBeNull();
    expect(ownCapabilities(full, structuredClone(full))).toBeNull();
    expect(ownCapabilities(full, {})).toEqual({});
    expect(ownCapabilities(full, smallerAvatars)).toEqual(smallerAvatars);
    expect(() => ownCapabilities(full, { avatar: { formats: [] } } as never)).toThrow();
  });

  it("replace the network's for that account, and keep its renditions apart when its avatar rules differ", () => {
    expect(accountNetworkView({ capabilities: null, network })).toMatchObject({
      capabilities: full,
      renditionKey: "xmpp",
    });
    const none = accountNetworkView({ capabilities: {}, network });
    expect(supportedFields(none.capabilities)).toEqual({
      avatar: false,
      displayName: false,
      signature: false,
      mood: false,
    });
    const smaller = accountNetworkView({ capabilities: smallerAvatars, network });
    expect(smaller.capabilities.avatar?.maxBytes).toBe(32_000);
    expect(smaller.renditionKey).toMatch(/^xmpp#[0-9a-f]{16}$/);
    // Same avatar rules, other differences: the network's renditions serve it.
    const { mood: _mood, ...noMood } = full;
    expect(renditionKeyOf("xmpp", noMood, full)).toBe("xmpp");
    expect(renditionKeyOf("xmpp", smallerAvatars, full)).toBe(smaller.renditionKey);
  });

  it("are checked against the capabilities schema when read", () => {
    expect(() => accountNetworkView({ capabilities: { avatar: { formats: [] } }, network })).toThrow();
  });
});
