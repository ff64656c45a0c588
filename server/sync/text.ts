/**
 * Profile text: our own limits and rules (counted in grapheme clusters, what a person sees as
 * one character), and fitting text into a network's limit without cutting inside a cluster.
 */
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export const ELLIPSIS = "…";

/** Generous limits of our own (graphemes); each network's tighter ones are applied when mapping. */
export const PROFILE_LIMITS = { displayName: 100, signature: 500, moodText: 100 } as const;

/**
 * UTF-16 units per grapheme we accept at most: an emoji family is 11, a flag 4; more is a stack
 * of combining marks ("Zalgo" text). Also bounds the work of counting graphemes at all.
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
  if (value.length > max * MAX_UNITS_PER_GRAPHEME || graphemeCount(value) > max) return tooLongMessage(max);
  return null;
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
