import { describe, expect, it } from "vitest";
import { sandboxDefinition } from "../connectors/sandbox/definition";
import { XMPP_DEFINITION } from "../connectors/xmpp/definition";
import type { TProfileField } from "../connectors/types";
import { buildDeliveries, type TTargetAccount } from "./build-deliveries";
import { mapSettings, moodFromNetwork, type TProfileSnapshot } from "./map-settings";
import { MOOD_IDS } from "./moods";
import { backoffMs, decideAfterFailure, MAX_ATTEMPTS } from "./retry-policy";
import { fitText, graphemes } from "./text";

const ALL: Record<TProfileField, boolean> = { avatar: true, displayName: true, signature: true, mood: true };
const qq = sandboxDefinition("qq");
const msn = sandboxDefinition("msn");
const fetion = sandboxDefinition("fetion");
const facebook = sandboxDefinition("facebook");
const xmpp = XMPP_DEFINITION;
/** A network that shows no signature (the capability left out). */
const { signature: _signature, ...withoutSignature } = XMPP_DEFINITION.capabilities;
const noSignature = { ...XMPP_DEFINITION, id: "nosig", capabilities: withoutSignature };

const snapshot: TProfileSnapshot = {
  displayName: "Ada Lovelace",
  signature: "Analytical engines 🚂 and poetry",
  mood: "cool",
  moodText: "shipping",
  avatarSha256: "a".repeat(64),
};

function target(id: string, definition = qq, extra: Partial<TTargetAccount> = {}): TTargetAccount {
  return {
    id,
    networkId: definition.id,
    networkName: definition.displayName,
    isNetworkEnabled: true,
    status: "ACTIVE",
    isPaused: false,
    sync: ALL,
    capabilities: definition.capabilities,
    ...extra,
  };
}

describe("fitText", () => {
  it("leaves text within the limit alone", () => {
    expect(fitText("hello", 5)).toEqual({ text: "hello", isTruncated: false });
  });
  it.each([
    ["family emoji stay whole", "👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦", 2, "👨‍👩‍👧‍👦…"],
    ["skin tones stay whole", "👋🏽👋🏽👋🏽", 2, "👋🏽…"],
    ["flags stay whole", "🇨🇳🇬🇧🇫🇷", 2, "🇨🇳…"],
    ["CJK counts one per character", "你好世界，今天天气很好", 5, "你好世界…"],
    ["combining marks stay with their letter", "e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"],
    ["trailing spaces go before the ellipsis", "abc    defgh", 6, "abc…"],
  ])("%s", (_label, text, max, expected) => {
    const fitted = fitText(text, max);
    expect(fitted).toEqual({ text: expected, isTruncated: true });
    expect(graphemes(fitted.text).length).toBeLessThanOrEqual(max);
  });
});

describe("mapSettings", () => {
  it("cuts text to each network's limit and says so", () => {
    const long = { ...snapshot, signature: "x".repeat(200) };
    const qqMapping = mapSettings({
      snapshot: long,
      fields: ["signature"],
      sync: ALL,
      capabilities: qq.capabilities,
      networkName: "QQ",
    });
    expect(graphemes(qqMapping.settings.signature!).length).toBe(40);
    expect(qqMapping.warnings).toEqual([
      { field: "signature", message: "Signature shortened to QQ's limit of 40 characters." },
    ]);
    const msnMapping = mapSettings({
      snapshot: long,
      fields: ["signature"],
      sync: ALL,
      capabilities: msn.capabilities,
      networkName: "MSN",
    });
    expect(graphemes(msnMapping.settings.signature!).length).toBe(128);
  });

  it.each(MOOD_IDS.map((mood) => [mood]))("maps the mood %s onto every network", (mood) => {
    for (const definition of [qq, msn, fetion, facebook, xmpp]) {
      const mapping = mapSettings({
        snapshot: { ...snapshot, mood },
        fields: ["mood"],
        sync: ALL,
        capabilities: definition.capabilities,
        networkName: definition.displayName,
      });
      expect(definition.capabilities.mood!.vocabulary).toContain(mapping.settings.mood);
    }
  });

  it("uses the network's words, and a fallback with a warning where it has none", () => {
    const map = (definition: typeof qq) =>
      mapSettings({
        snapshot,
        fields: ["mood"],
        sync: ALL,
        capabilities: definition.capabilities,
        networkName: definition.displayName,
      });
    expect(map(qq).settings.mood).toBe("😎");
    expect(map(fetion).settings.mood).toBe("酷");
    expect(map(facebook).settings.mood).toBe("happy");
    expect(map(facebook).warnings[0]?.message).toBe("Facebook has no “😎 Cool” mood; it gets “happy” instead.");
    expect(map(msn).warnings).toEqual([{ field: "mood", message: "MSN shows no mood text; only the mood is sent." }]);
    expect(map(qq).settings.moodText).toBe("shipping");
  });

  it("reads a network's mood word back into OneProfile's vocabulary", () => {
    expect(moodFromNetwork("😎", qq.capabilities.mood!)).toBe("cool");
    expect(moodFromNetwork("恋爱中", fetion.capabilities.mood!)).toBe("in_love");
    expect(moodFromNetwork("blessed", facebook.capabilities.mood!)).toBeNull();
  });

  it("lists opted-out and unsupported fields as skipped", () => {
    const mapping = mapSettings({
      snapshot,
      fields: ["avatar", "signature", "displayName"],
      sync: { ...ALL, avatar: false },
      capabilities: noSignature.capabilities,
      networkName: "XMPP",
    });
    expect(mapping.skipped).toEqual([
      { field: "avatar", reason: "not_synced" },
      { field: "signature", reason: "unsupported" },
    ]);
    expect(mapping.settings).toEqual({ displayName: "Ada Lovelace" });
  });
});

describe("buildDeliveries", () => {
  it("fans out to every other active account, never back to the source", () => {
    const drafts = buildDeliveries({
      snapshot,
      changedFields: ["signature"],
      sourceAccountId: "qq-1",
      targets: [target("qq-1"), target("msn-1", msn), target("fetion-1", fetion), target("fb-1", facebook)],
    });
    expect(drafts.map((d) => d.accountId)).toEqual(["msn-1", "fetion-1", "fb-1"]);
    expect(drafts.every((d) => d.fields.join() === "signature" && !d.isSkipped)).toBe(true);
  });

  it("lists only the changed fields the account is actually sent", () => {
    const [draft] = buildDeliveries({
      snapshot,
      changedFields: ["signature", "mood"],
      sourceAccountId: null,
      targets: [target("q", qq, { sync: { ...ALL, mood: false } })],
    });
    expect(draft).toMatchObject({
      fields: ["signature"],
      isSkipped: false,
      skipped: [{ field: "mood", reason: "not_synced" }],
    });
  });

  it("leaves out accounts that need re-auth, are on a disabled network, or sync none of the changes", () => {
    const drafts = buildDeliveries({
      snapshot,
      changedFields: ["mood"],
      sourceAccountId: null,
      targets: [
        target("a", qq, { status: "NEEDS_REAUTH" }),
        target("b", msn, { isNetworkEnabled: false }),
        target("c", fetion, { sync: { ...ALL, mood: false } }),
        target("d", facebook),
      ],
    });
    expect(drafts.map((d) => d.accountId)).toEqual(["d"]);
  });

  it("marks a delivery skipped when the network supports none of its fields", () => {
    const [draft] = buildDeliveries({
      snapshot,
      changedFields: ["signature"],
      sourceAccountId: null,
      targets: [target("x", noSignature)],
    });
    expect(draft).toMatchObject({ isSkipped: true, skipped: [{ field: "signature", reason: "unsupported" }] });
  });
});

describe("retry policy", () => {
  it("backs off exponentially with full jitter, about an hour over 8 attempts", () => {
    expect(backoffMs(1, 15_000, () => 0.999)).toBe(14_985);
    expect(backoffMs(3, 15_000, () => 0.5)).toBe(30_000);
    expect(backoffMs(1, 15_000, () => 0)).toBe(0);
    const worst = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => backoffMs(i + 1, 15_000, () => 1)).reduce(
      (a, b) => a + b,
      0,
    );
    expect(worst / 60_000).toBeGreaterThan(30);
    expect(worst / 60_000).toBeLessThan(120);
  });

  it("retries transient errors, honours Retry-After, and gives up after the last attempt", () => {
    expect(decideAfterFailure({ kind: "transient" }, 1, { random: () => 0.5 })).toEqual({
      action: "retry",
      delayMs: 7_500,
    });
    expect(decideAfterFailure({ kind: "rate_limited", retryAfterMs: 60_000 }, 1, { random: () => 0.5 })).toEqual({
      action: "retry",
      delayMs: 60_000,
    });
    expect(decideAfterFailure({ kind: "transient" }, MAX_ATTEMPTS)).toEqual({
      action: "fail",
      isCredentialProblem: false,
    });
  });

  it("fails at once on refused credentials and on permanent errors", () => {
    expect(decideAfterFailure({ kind: "auth" }, 1)).toEqual({ action: "fail", isCredentialProblem: true });
    expect(decideAfterFailure({ kind: "permanent" }, 1)).toEqual({ action: "fail", isCredentialProblem: false });
  });
});
