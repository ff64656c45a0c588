import { describe, expect, it } from "vitest";
import type { TCapabilities, TProfileField } from "../connectors/types";
import { mapMood, mapSettings, moodFromNetwork, type TMapping, type TProfileSnapshot } from "./map-settings";

type TMoodCapability = NonNullable<TCapabilities["mood"]>;

const ALL: Record<TProfileField, boolean> = { avatar: true, displayName: true, signature: true, mood: true };
const FIELDS: TProfileField[] = ["displayName", "signature", "mood", "avatar"];
const AVATAR_SHA = "a".repeat(64);

// A network with every field: short limits so that cutting is easy to show.
const MOOD: TMoodCapability = {
  vocabulary: ["😎", "😀", "😢"],
  map: { cool: "😎", happy: "😀", sad: "😢" },
  fallback: null,
  maxTextGraphemes: 10,
};
const CAPABILITIES: TCapabilities = {
  displayName: { maxGraphemes: 12 },
  signature: { maxGraphemes: 20 },
  mood: MOOD,
  avatar: { formats: ["png", "jpeg"], maxBytes: 1_000_000, minPx: 40, maxPx: 640, isSquare: true },
};

const SNAPSHOT: TProfileSnapshot = {
  displayName: "Ada Lovelace",
  signature: "Engines and poetry",
  mood: "cool",
  moodText: "shipping",
  avatarSha256: AVATAR_SHA,
};

function map(
  options: {
    snapshot?: Partial<TProfileSnapshot>;
    fields?: TProfileField[];
    sync?: Partial<Record<TProfileField, boolean>>;
    capabilities?: TCapabilities;
  } = {},
): TMapping {
  return mapSettings({
    snapshot: { ...SNAPSHOT, ...options.snapshot },
    fields: options.fields ?? FIELDS,
    sync: { ...ALL, ...options.sync },
    capabilities: options.capabilities ?? CAPABILITIES,
    networkName: "QQ",
  });
}

function without(field: keyof TCapabilities): TCapabilities {
  const capabilities = { ...CAPABILITIES };
  delete capabilities[field];
  return capabilities;
}

describe("mapSettings", () => {
  it("sends every field that fits as it is, with nothing skipped and no warnings", () => {
    expect(map()).toStrictEqual({
      settings: {
        displayName: "Ada Lovelace",
        signature: "Engines and poetry",
        mood: "😎",
        moodText: "shipping",
        avatarSha256: AVATAR_SHA,
      },
      skipped: [],
      warnings: [],
    });
  });

  it("maps only the fields asked for", () => {
    expect(map({ fields: ["signature"] })).toStrictEqual({
      settings: { signature: "Engines and poetry" },
      skipped: [],
      warnings: [],
    });
  });

  it.each<[TProfileField, keyof TCapabilities]>([
    ["displayName", "displayName"],
    ["signature", "signature"],
    ["mood", "mood"],
    ["avatar", "avatar"],
  ])("skips %s as unsupported when the network lacks it", (field, capability) => {
    expect(map({ fields: [field], capabilities: without(capability) })).toStrictEqual({
      settings: {},
      skipped: [{ field, reason: "unsupported" }],
      warnings: [],
    });
  });

  it.each(FIELDS)("skips %s as not synced when the user opted out, even where the network lacks it", (field) => {
    const expected = { settings: {}, skipped: [{ field, reason: "not_synced" }], warnings: [] };
    expect(map({ fields: [field], sync: { [field]: false } })).toStrictEqual(expected);
    expect(map({ fields: [field], sync: { [field]: false }, capabilities: {} })).toStrictEqual(expected);
  });

  it("lists skipped fields in the order asked, and still maps the others", () => {
    expect(
      map({
        fields: ["avatar", "signature", "displayName", "mood"],
        sync: { avatar: false },
        capabilities: without("signature"),
      }),
    ).toStrictEqual({
      settings: { displayName: "Ada Lovelace", mood: "😎", moodText: "shipping" },
      skipped: [
        { field: "avatar", reason: "not_synced" },
        { field: "signature", reason: "unsupported" },
      ],
      warnings: [],
    });
  });

  describe("display name", () => {
    it.each([
      ["empty", ""],
      ["null", null],
    ])("leaves the network's own name when ours is %s (networks require one)", (_, displayName) => {
      expect(map({ snapshot: { displayName }, fields: ["displayName"] })).toStrictEqual({
        settings: {},
        skipped: [{ field: "displayName", reason: "unsupported" }],
        warnings: [],
      });
    });

    it("sends a name exactly at the limit untouched", () => {
      expect(map({ snapshot: { displayName: "123456789012" }, fields: ["displayName"] })).toStrictEqual({
        settings: { displayName: "123456789012" },
        skipped: [],
        warnings: [],
      });
    });

    it("shortens a name over the limit and says so", () => {
      expect(map({ snapshot: { displayName: "Augusta Ada King" }, fields: ["displayName"] })).toStrictEqual({
        settings: { displayName: "Augusta Ada…" },
        skipped: [],
        warnings: [{ field: "displayName", message: "Display name shortened to QQ's limit of 12 characters." }],
      });
    });
  });

  describe("signature", () => {
    it("sends an empty signature when ours is null (clearing it there too)", () => {
      expect(map({ snapshot: { signature: null }, fields: ["signature"] })).toStrictEqual({
        settings: { signature: "" },
        skipped: [],
        warnings: [],
      });
    });

    it("shortens a signature over the limit and says so", () => {
      expect(map({ snapshot: { signature: "Analytical engines and poetry" }, fields: ["signature"] })).toStrictEqual({
        settings: { signature: "Analytical engines…" },
        skipped: [],
        warnings: [{ field: "signature", message: "Signature shortened to QQ's limit of 20 characters." }],
      });
    });
  });

  describe("mood", () => {
    it("sends no mood as null, with the mood text still", () => {
      expect(map({ snapshot: { mood: null }, fields: ["mood"] })).toStrictEqual({
        settings: { mood: null, moodText: "shipping" },
        skipped: [],
        warnings: [],
      });
    });

    it("sends an empty mood text when ours is null", () => {
      expect(map({ snapshot: { moodText: null }, fields: ["mood"] })).toStrictEqual({
        settings: { mood: "😎", moodText: "" },
        skipped: [],
        warnings: [],
      });
    });

    it("sends a mood text exactly at the limit untouched", () => {
      expect(map({ snapshot: { moodText: "1234567890" }, fields: ["mood"] })).toStrictEqual({
        settings: { mood: "😎", moodText: "1234567890" },
        skipped: [],
        warnings: [],
      });
    });

    it("shortens a mood text over the limit and says so", () => {
      expect(map({ snapshot: { moodText: "shipping engines" }, fields: ["mood"] })).toStrictEqual({
        settings: { mood: "😎", moodText: "shipping…" },
        skipped: [],
        warnings: [{ field: "mood", message: "Mood text shortened to QQ's limit of 10 characters." }],
      });
    });

    it("sends the fallback for a mood the network has no word for, and says so", () => {
      const capabilities = { ...CAPABILITIES, mood: { ...MOOD, fallback: "😀" } };
      expect(map({ snapshot: { mood: "sleepy" }, fields: ["mood"], capabilities })).toStrictEqual({
        settings: { mood: "😀", moodText: "shipping" },
        skipped: [],
        warnings: [{ field: "mood", message: "QQ has no “😴 Sleepy” mood; it gets “😀” instead." }],
      });
    });

    it("skips a mood the network has no word for and no fallback, mood text included", () => {
      expect(map({ snapshot: { mood: "sleepy" }, fields: ["mood"] })).toStrictEqual({
        settings: {},
        skipped: [{ field: "mood", reason: "unsupported" }],
        warnings: [],
      });
    });

    describe("on a network that shows a mood text only beside a mood (XEP-0107)", () => {
      const capabilities = { ...CAPABILITIES, mood: { ...MOOD, isTextWithMoodOnly: true } };

      it("sends no text with no mood, and says the text waits for a mood", () => {
        expect(map({ snapshot: { mood: null, moodText: "shipping" }, fields: ["mood"], capabilities })).toStrictEqual({
          settings: { mood: null, moodText: "" },
          skipped: [],
          warnings: [
            { field: "mood", message: "QQ shows a mood text only beside a mood; it goes with the next mood you pick." },
          ],
        });
        expect(map({ snapshot: { mood: null, moodText: "" }, fields: ["mood"], capabilities })).toStrictEqual({
          settings: { mood: null, moodText: "" },
          skipped: [],
          warnings: [],
        });
      });

      it("sends the text with a mood as any network does", () => {
        expect(map({ snapshot: { moodText: "shipping" }, fields: ["mood"], capabilities })).toStrictEqual({
          settings: { mood: "😎", moodText: "shipping" },
          skipped: [],
          warnings: [],
        });
      });
    });

    describe("on a network that shows no mood text", () => {
      const capabilities = { ...CAPABILITIES, mood: { ...MOOD, maxTextGraphemes: 0 } };

      it("sends the mood alone and says the mood text is not sent", () => {
        expect(map({ fields: ["mood"], capabilities })).toStrictEqual({
          settings: { mood: "😎" },
          skipped: [],
          warnings: [{ field: "mood", message: "QQ shows no mood text; only the mood is sent." }],
        });
      });

      it.each([
        ["empty", ""],
        ["null", null],
      ])("says nothing when the mood text is %s", (_, moodText) => {
        expect(map({ snapshot: { moodText }, fields: ["mood"], capabilities })).toStrictEqual({
          settings: { mood: "😎" },
          skipped: [],
          warnings: [],
        });
      });
    });
  });

  describe("avatar", () => {
    it.each([
      ["a rendition's sha256", AVATAR_SHA],
      ["null (no avatar)", null],
    ])("sends the snapshot's avatar: %s", (_, avatarSha256) => {
      expect(map({ snapshot: { avatarSha256 }, fields: ["avatar"] })).toStrictEqual({
        settings: { avatarSha256 },
        skipped: [],
        warnings: [],
      });
    });
  });
});

describe("mapMood", () => {
  it("gives the network's word, with no warning", () => {
    expect(mapMood("happy", MOOD, "QQ")).toStrictEqual({ value: "😀" });
  });

  it("gives the fallback with a warning naming the mood, or its id when it is not ours", () => {
    const capability = { ...MOOD, fallback: "😀" };
    expect(mapMood("in_love", capability, "MSN")).toStrictEqual({
      value: "😀",
      warning: "MSN has no “🥰 In love” mood; it gets “😀” instead.",
    });
    expect(mapMood("blessed", capability, "MSN")).toStrictEqual({
      value: "😀",
      warning: "MSN has no “blessed” mood; it gets “😀” instead.",
    });
  });

  it.each([
    ["null", null],
    ["empty", ""],
  ])("gives nothing for a mood with no word when the fallback is %s", (_, fallback) => {
    expect(mapMood("sleepy", { ...MOOD, fallback }, "QQ")).toBeNull();
  });
});

describe("moodFromNetwork", () => {
  it("reads the network's word back as our mood id, or null for a word we have no mood for", () => {
    expect(moodFromNetwork("😢", MOOD)).toBe("sad");
    expect(moodFromNetwork("😎", MOOD)).toBe("cool");
    expect(moodFromNetwork("🤔", MOOD)).toBeNull();
  });
});
