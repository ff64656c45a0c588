import { describe, expect, it } from "vitest";
import { fitText, graphemeCount, normalizeDisplayName, profileTextProblem, quoteForNote } from "./text";

const FAMILY = "👨‍👩‍👧‍👦"; // one grapheme, 11 UTF-16 units
const ENGLAND = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"; // 14 units
const KISS = "👩🏻‍❤️‍💋‍👨🏿"; // 15 units
const MARKED_16 = `a${"\u0301".repeat(15)}`; // one grapheme, 16 units: the most allowed
const MARKED_17 = `a${"\u0301".repeat(16)}`; // one grapheme, 17 units: one too many

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

  it.each([
    ["one grapheme of exactly 16 units, limit 1", MARKED_16, 1, null],
    ["two graphemes of exactly 16 units each, limit 2", MARKED_16.repeat(2), 2, null],
    ["one grapheme of 17 units, limit 1 (over the whole text's bound)", MARKED_17, 1, "Use at most 1 characters."],
    ["two graphemes of 33 units, limit 2", `${MARKED_16}${MARKED_17}`, 2, "Use at most 2 characters."],
  ])("bounds the whole text at 16 units per allowed character: %s", (_, text, max, expected) => {
    expect(profileTextProblem("X", text, max)).toBe(expected);
  });

  it("refuses one grapheme piled with marks even when the whole text is within the limit", () => {
    const marks = "has a character with too many accents or marks on it.";
    expect(profileTextProblem("X", `a${"\u0301".repeat(1500)}`, 100)).toBe(`X ${marks}`);
    expect(profileTextProblem("X", `ok a${"\u0301".repeat(16)}`, 100)).toBe(`X ${marks}`);
    expect(profileTextProblem("X", `a${"\u0301".repeat(15)} ${ENGLAND}${KISS}`, 100)).toBeNull();
  });

  it.each([
    ["a tag character", "a\u{E0041}b"],
    ["a cancel tag", "\u{E007F}"],
    // A black flag followed by hidden ASCII in tag characters: one grapheme, not a flag's shape.
    ["hidden text after a black flag", "\u{1F3F4}\u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}\u{E0020}"],
    ["a flag with text after its cancel tag", `${ENGLAND}\u{E0041}`],
    ["the language tag", "\u{E0001}en"],
    ["interlinear annotation", "a\uFFF9b\uFFFAc\uFFFB"],
    ["the deprecated format character U+206A", "a\u206Ab"],
    ["the deprecated format character U+206F", "a\u206Fb"],
    ["the non-character U+FFFE", "a\uFFFE"],
    ["the non-character U+FFFF", "a\uFFFF"],
    ["the non-character U+FDD0", "a\uFDD0"],
    ["the non-character U+FDEF", "a\uFDEF"],
  ])("refuses %s", (_, text) => {
    expect(profileTextProblem("The display name", text, 100)).toBe(
      "The display name cannot contain invisible formatting characters.",
    );
  });

  it.each([
    ["a flag alone", ENGLAND],
    ["a flag between words", `Ada ${ENGLAND} Lovelace`],
    ["two flags", `${ENGLAND}${ENGLAND}`],
  ])("allows the tags of an emoji flag sequence: %s", (_, text) => {
    expect(profileTextProblem("Name", text, 100)).toBeNull();
  });

  it.each([
    ["a stray tag letter after text", `Ada\u{E0067}`],
    ["a flag's tags without the black flag", ENGLAND.slice(2)],
    ["a flag's tags without the cancel tag", ENGLAND.slice(0, -2)],
  ])("refuses tag characters outside a flag: %s", (_, text) => {
    expect(profileTextProblem("Name", text, 100)).toBe("Name cannot contain invisible formatting characters.");
  });

  it("allows the tags of an emoji flag, the joiner and variation selectors", () => {
    for (const text of [ENGLAND, `Ada ${ENGLAND}`, KISS, "❤️", "葛\u{E0100}", "a\u200Db"]) {
      expect(profileTextProblem("Name", text, 100)).toBeNull();
    }
  });
});

describe("normalizeDisplayName", () => {
  it("trims, and a name of white space only becomes empty (no display name), as the portal stores it", () => {
    expect(normalizeDisplayName("  Ada \u3000")).toBe("Ada");
    expect(normalizeDisplayName(" \t ")).toBe("");
    expect(normalizeDisplayName("Ada Lovelace")).toBe("Ada Lovelace");
  });
});

describe("quoteForNote", () => {
  it("removes direction overrides, controls and invisible characters, keeping emoji whole", () => {
    expect(quoteForNote("\u202Ehappy\u202C\u0000\n\u200B\u{E0041}", 40)).toBe("happy");
    expect(quoteForNote(`${FAMILY}${ENGLAND.slice(0, 2)}`, 40)).toBe(`${FAMILY}${ENGLAND.slice(0, 2)}`);
  });

  it("cuts on grapheme boundaries, never inside an emoji", () => {
    expect(quoteForNote(FAMILY.repeat(3), 3)).toBe(FAMILY.repeat(3));
    expect(quoteForNote(FAMILY.repeat(4), 3)).toBe(`${FAMILY}${FAMILY}…`);
    expect(quoteForNote(`${"x".repeat(39)}😀😀`, 40)).toBe(`${"x".repeat(39)}…`);
    expect(quoteForNote(`a${"\u0301".repeat(500)}b`, 40)).toBe("ab");
  });

  it.each([
    ["keeps a cluster of exactly 16 units whole", `${MARKED_16}b`, `${MARKED_16}b`],
    ["keeps only the first character of a cluster of 17 units", `${MARKED_17}b`, "ab"],
  ])("%s", (_, text, expected) => {
    expect(quoteForNote(text, 40)).toBe(expected);
  });
});

describe("fitText", () => {
  it.each([
    ["text shorter than the limit", "abc", 4],
    ["text exactly at the limit", "abcd", 4],
    ["emoji counted as one character each", `${FAMILY}${ENGLAND}${KISS}`, 3],
    ["empty text into a limit of 0", "", 0],
  ])("leaves %s alone", (_, text, max) => {
    expect(fitText(text, max)).toStrictEqual({ text, isTruncated: false });
  });

  it.each([
    ["one character over", "abcde", 4, "abc…"],
    ["to a limit of 1: the ellipsis alone", "abc", 1, "…"],
    ["emoji whole", `${FAMILY}${ENGLAND}${KISS}`, 2, `${FAMILY}…`],
    ["trailing white space before the ellipsis", "ab  cdef", 4, "ab…"],
  ])("cuts %s", (_, text, max, expected) => {
    expect(fitText(text, max)).toStrictEqual({ text: expected, isTruncated: true });
  });

  it.each([
    ["a limit of 0", "abc", 0],
    ["a limit of 0, one character", "a", 0],
    ["a negative limit", "abc", -1],
  ])("leaves nothing, cut, for %s", (_, text, max) => {
    expect(fitText(text, max)).toStrictEqual({ text: "", isTruncated: true });
  });
});
