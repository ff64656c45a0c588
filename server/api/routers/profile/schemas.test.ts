import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ZUpdateInput } from "./schemas";

const fieldErrors = (input: unknown) => {
  const parsed = ZUpdateInput.safeParse(input);
  return parsed.success ? null : z.flattenError(parsed.error).fieldErrors;
};

describe("profile input", () => {
  it("counts the limits in graphemes: 100 emoji families are a valid display name, 101 are not", () => {
    const family = "👨‍👩‍👧‍👦";
    expect(fieldErrors({ displayName: family.repeat(100) })).toBeNull();
    expect(fieldErrors({ displayName: family.repeat(101) })).toEqual({
      displayName: ["Use at most 100 characters."],
    });
    expect(fieldErrors({ signature: "字".repeat(500), moodText: "é".normalize("NFD").repeat(100) })).toBeNull();
  });

  it("refuses control characters with a message per field", () => {
    expect(fieldErrors({ displayName: "Ada\u0000", signature: "ring\u0007", moodText: "a\nb" })).toEqual({
      displayName: [
        "The display name cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
      ],
      signature: [
        "The signature cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
      ],
      moodText: [
        "The mood text cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
      ],
    });
  });

  it("refuses direction overrides, and still trims a display name's surrounding spaces", () => {
    expect(fieldErrors({ displayName: "\u202Eevil" })?.displayName?.[0]).toMatch(
      /^The display name cannot contain text-direction override characters/,
    );
    expect(ZUpdateInput.parse({ displayName: "  Ada  " }).displayName).toBe("Ada");
    expect(ZUpdateInput.parse({ displayName: null, signature: null, moodText: null })).toEqual({
      displayName: null,
      signature: null,
      moodText: null,
    });
  });

  it("takes a display name of white space only as empty (no display name), the rule every path shares", () => {
    expect(ZUpdateInput.parse({ displayName: " \u3000 " }).displayName).toBe("");
  });

  it("refuses invisible formatting characters and a character piled with marks", () => {
    expect(
      fieldErrors({ displayName: "Ada\u{E0041}", signature: "a\uFFF9b", moodText: `a${"\u0301".repeat(40)}` }),
    ).toEqual({
      displayName: ["The display name cannot contain invisible formatting characters."],
      signature: ["The signature cannot contain invisible formatting characters."],
      moodText: ["The mood text has a character with too many accents or marks on it."],
    });
  });
});
