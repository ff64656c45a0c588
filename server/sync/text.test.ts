import { describe, expect, it } from "vitest";
import { graphemeCount, profileTextProblem } from "./text";

const FAMILY = "👨‍👩‍👧‍👦"; // one grapheme, 11 UTF-16 units

describe("profileTextProblem", () => {
  it("counts graphemes, not UTF-16 units", () => {
    expect(graphemeCount(FAMILY)).toBe(1);
    expect(profileTextProblem("Name", FAMILY.repeat(10), 10)).toBeNull();
    expect(profileTextProblem("Name", "é".normalize("NFD").repeat(10), 10)).toBeNull();
    expect(profileTextProblem("Name", FAMILY.repeat(11), 10)).toBe("Use at most 10 characters.");
  });

  it("refuses a grapheme piled with combining marks beyond 16 units per allowed character", () => {
    expect(profileTextProblem("Name", `a${"\u0301".repeat(200)}`, 10)).toBe("Use at most 10 characters.");
  });

  it.each([
    ["NUL", "\u0000"],
    ["BEL", "\u0007"],
    ["tab", "\t"],
    ["line feed", "\n"],
    ["carriage return", "\r"],
    ["DEL", "\u007F"],
    ["C1 NEL", "\u0085"],
    ["C1 CSI", "\u009B"],
    ["line separator", "\u2028"],
    ["paragraph separator", "\u2029"],
  ])("refuses a control character: %s", (_, character) => {
    expect(profileTextProblem("The signature", `a${character}b`, 100)).toBe(
      "The signature cannot contain control characters (such as NUL, tab or a line break): use one line of text.",
    );
  });

  it.each(["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069"])(
    "refuses the direction override or isolate U+%s",
    (character) => {
      expect(profileTextProblem("The display name", `admin${character}gnp.exe`, 100)).toMatch(
        /^The display name cannot contain text-direction override characters/,
      );
    },
  );

  it("allows the direction marks LRM, RLM and ALM, and joiners in emoji", () => {
    for (const text of ["שלום\u200E 123", "abc\u200F", "مرحبا\u061C 1", "🏳️‍🌈", "日本語のなまえ"]) {
      expect(profileTextProblem("Name", text, 100)).toBeNull();
    }
  });

  it("refuses a lone surrogate", () => {
    expect(profileTextProblem("Name", "a\uD800b", 100)).toBe("Name contains a broken character.");
    expect(profileTextProblem("Name", "a\uDC00", 100)).toBe("Name contains a broken character.");
  });
});
