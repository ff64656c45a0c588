/**
 * Profile text: our own limits and rules (counted in grapheme clusters, what a person sees as
 * one character), and fitting text into a network's limit without cutting inside a cluster.
 */
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export const ELLIPSIS = "…";

/** Generous limits of our own (graphemes); each network's tighter ones are applied when mapping. */
export const PROFILE_LIMITS = { displayName: 100, signature: 500, moodText: 100 } as const;

/**
 * UTF-16 units we accept in one grapheme: an emoji family is 11, the England flag 14, a kiss with
 * two skin tones 15; more is a stack of combining marks ("Zalgo" text). Checked per grapheme;
 * `max` times it is also a cheap bound on the whole text before it is segmented at all.
 */
const MAX_UNITS_PER_GRAPHEME = 16;

/**
 * C0 controls (NUL, BEL, tab, line breaks…), DEL, C1 controls and the Unicode line and
 * paragraph separators. Every profile field is one line: a signature is a status line on every
 * network, so a line break has nowhere to go.
 */
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;

/**
 * Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder the text
 * around them: a name with U+202E displays reversed on every network it is sent to. Refused, not
 * stripped, so what the person typed is what every network shows. The marks U+200E, U+200F and
 * U+061C are allowed: they reorder nothing by themselves and mixed-script text needs them.
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * Invisible characters with no use in a profile line: interlinear annotation (U+FFF9–U+FFFB),
 * the deprecated format characters (U+206A–U+206F), the language tag U+E0001 and
 * non-characters (U+FDD0–U+FDEF, U+FFFE, U+FFFF and their twins in every plane). Tag characters
 * are checked per grapheme (see TAG). The zero-width joiner and variation selectors stay: emoji
 * need them. Out of scope: names made only of U+200B or U+3164 (Hangul filler) look empty but
 * are ordinary characters to Unicode; refusing them is a policy we have not taken.
 */
const INVISIBLE = /[\uFFF9-\uFFFB\u206A-\u206F\u{E0001}\p{Noncharacter_Code_Point}]/u;

/** Tag characters: invisible, except in an emoji tag sequence (a flag such as England's). */
const TAG = /[\u{E0020}-\u{E007F}]/u;
/** A subdivision flag (England: 🏴 + "gbeng" in tag letters + cancel tag), at a grapheme's start. */
const EMOJI_TAG_SEQUENCE = /^\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,6}\u{E007F}/u;

/** A lone surrogate (in "u" mode a proper pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (segment) => segment.segment);
}

export function graphemeCount(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** The message for a text longer than `max` graphemes (the portal's form shows it too). */
export const tooLongMessage = (max: number) => `Use at most ${max} characters.`;

/**
 * Why `value` cannot be a profile text of at most `max` graphemes, as a message naming the field
 * (`label`), or null when it can. One rule for the portal's input and for values from networks.
 */
export function profileTextProblem(label: string, value: string, max: number): string | null {
  if (CONTROL.test(value)) {
    return `${label} cannot contain control characters (such as NUL, tab or a line break): use one line of text.`;
  }
  if (BIDI_CONTROL.test(value)) {
    return `${label} cannot contain text-direction override characters (U+202A–U+202E, U+2066–U+2069): they make text display reversed.`;
  }
  if (LONE_SURROGATE.test(value)) return `${label} contains a broken character.`;
  const invisible = `${label} cannot contain invisible formatting characters.`;
  if (INVISIBLE.test(value)) return invisible;
  if (value.length > max * MAX_UNITS_PER_GRAPHEME) return tooLongMessage(max);
  let count = 0;
  for (const { segment } of segmenter.segment(value)) {
    if (++count > max) return tooLongMessage(max);
    if (segment.length > MAX_UNITS_PER_GRAPHEME)
      return `${label} has a character with too many accents or marks on it.`;
    // Tags only in a flag's exact shape (🏴, 1–6 tag letters or digits, the cancel tag): anything
    // else could carry hidden text.
    if (TAG.test(segment.replace(EMOJI_TAG_SEQUENCE, ""))) return invisible;
  }
  return null;
}

/**
 * A display name as every path takes it (the portal's form, a network's event, the import at
 * link): surrounding white space trimmed. Empty, also after trimming, means no display name, as
 * the portal has always stored it; networks then keep theirs (see map-settings).
 */
export function normalizeDisplayName(value: string): string {
  return value.trim();
}

/** What must not reach a note: controls, formatting characters (but the joiner emoji need), broken ones. */
const NOT_FOR_NOTES = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}]|(?!\u200D)\p{Cf}/gu;

/**
 * Text from a network quoted in a note (shown in Activity and to admins): controls, direction
 * overrides and invisible characters removed, at most `maxGraphemes` clusters (the last one an
 * ellipsis when cut), and a cluster piled with marks kept as its first character only.
 */
export function quoteForNote(text: string, maxGraphemes: number): string {
  const clusters: string[] = [];
  for (const { segment } of segmenter.segment(text.replace(NOT_FOR_NOTES, ""))) {
    if (clusters.length === maxGraphemes) {
      clusters[maxGraphemes - 1] = ELLIPSIS;
      break;
    }
    clusters.push(segment.length > MAX_UNITS_PER_GRAPHEME ? String.fromCodePoint(segment.codePointAt(0)!) : segment);
  }
  return clusters.join("");
}

/**
 * Fits `text` into `max` grapheme clusters. Too long: the first `max - 1` clusters (trailing
 * spaces dropped) and an ellipsis, so the result is exactly within the limit.
 */
export function fitText(text: string, max: number): { text: string; isTruncated: boolean } {
  const clusters = graphemes(text);
  if (clusters.length <= max) return { text, isTruncated: false };
  if (max <= 0) return { text: "", isTruncated: true };
  return {
    text:
      clusters
        .slice(0, max - 1)
        .join("")
        .trimEnd() + ELLIPSIS,
    isTruncated: true,
  };
}
