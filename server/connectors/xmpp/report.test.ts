import { describe, expect, it } from "vitest";
import { itemIdOf, markOf, parseXmppReport, writeKeyOf } from "./report";

const KEY = "oneprofile:7b1c0d2e-0000-4000-8000-000000000000:m3:profile:displayName=2";

describe("XMPP marks and reports", () => {
  it("knows OneProfile's own items by the write key in their id", () => {
    expect(writeKeyOf(itemIdOf(KEY, "displayName"))).toBe(KEY);
    expect(writeKeyOf("current")).toBeNull();
    expect(writeKeyOf(null)).toBeNull();
  });

  it("tells two changes published under one fixed id apart by their values", () => {
    expect(markOf("mood", "current", '{"mood":"sad"}')).not.toBe(markOf("mood", "current", '{"mood":"happy"}'));
    expect(markOf("displayName", "current", "Ada")).toBe(markOf("displayName", "current", "Ada"));
    // Our ids and the avatar's (the bytes' SHA-1) name one value: the id alone is the mark.
    expect(markOf("displayName", itemIdOf(KEY, "displayName"), "Ada")).toBe(itemIdOf(KEY, "displayName"));
    expect(markOf("avatar", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", null)).toBe(
      "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    );
  });

  it("reads a watched change as a report: our echo by its key, another client's as made there", () => {
    const ours = parseXmppReport({
      login: "ada@example.org",
      field: "displayName",
      itemId: itemIdOf(KEY, "displayName"),
      values: { displayName: "Ada" },
    });
    expect(ours).toMatchObject({ fields: ["displayName"], writeKey: KEY, isWriterKnown: true });
    const theirs = parseXmppReport({
      login: "ada@example.org",
      field: "mood",
      itemId: "current",
      values: { mood: "sad", moodText: "rain" },
    });
    expect(theirs).toMatchObject({ fields: ["mood"], writeKey: null, isWriterKnown: true });
    expect(() => parseXmppReport({ login: "", field: "mood" })).toThrow(/not valid/);
  });
});
