import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "./client";
import { XMPP_DEFINITION } from "./definition";

describe("capabilitiesOf (what an account's server offers it)", () => {
  it("is everything with PEP, told by its identity (XEP-0163) or its publish feature", () => {
    expect(capabilitiesOf(new Set(["identity:pubsub/pep"]))).toEqual(XMPP_DEFINITION.capabilities);
    expect(capabilitiesOf(new Set(["http://jabber.org/protocol/pubsub#publish"]))).toEqual(
      XMPP_DEFINITION.capabilities,
    );
  });

  it("is nothing without PEP: every field lives on a PEP node", () => {
    expect(capabilitiesOf(new Set())).toEqual({});
    expect(capabilitiesOf(new Set(["identity:account/registered", "urn:xmpp:ping"]))).toEqual({});
  });
});
