/**
 * Reading an event a network sent, before anything trusts it: its nesting and whether it holds
 * what a jsonb column refuses are read from the text (so a hostile nesting costs no recursion),
 * and its ids and logins are plain text. Shared by every connector's change feed and the monitor.
 */
import { z } from "zod";

/**
 * The oldest webhook any feed accepts (its signed timestamp, in seconds): a replay older than this is
 * refused by its age, a younger one by its event id, which is kept at least twice as long.
 */
export const MAX_WEBHOOK_AGE_SECONDS = 5 * 60;

/** The deepest nesting of arrays and objects an event may have (a real one has 3). */
export const MAX_EVENT_DEPTH = 16;

/** Half a surrogate pair: not a character; Postgres cannot store it in text or jsonb. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * No control characters and no half surrogate pairs: Postgres cannot store a NUL or a half pair,
 * and none belongs in an id or a login (the fuzz test found a half pair in an id answered 500).
 */
export const zPlain = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001F\u007F]*$/)
    .refine((value) => !LONE_SURROGATE.test(value));

/**
 * The deepest nesting in a JSON text, and whether a string in it holds what a jsonb column
 * refuses: a NUL (`\u0000`) or half of a surrogate pair.
 */
export function scanJson(text: string): { depth: number; isUnstorable: boolean } {
  let depth = 0;
  let deepest = 0;
  let isUnstorable = false;
  let isInString = false;
  let isAfterHigh = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (isInString) {
      const unit = char === "\\" && text[index + 1] === "u" ? parseInt(text.slice(index + 2, index + 6), 16) : null;
      const isHigh = unit !== null && unit >= 0xd800 && unit <= 0xdbff;
      const isLow = unit !== null && unit >= 0xdc00 && unit <= 0xdfff;
      if (unit === 0 || (isAfterHigh && !isLow) || (!isAfterHigh && isLow)) isUnstorable = true;
      isAfterHigh = isHigh;
      if (char === "\\") index += unit === null ? 1 : 5;
      else if (char === '"') isInString = false;
    } else if (char === '"') isInString = true;
    else if (char === "{" || char === "[") deepest = Math.max(deepest, ++depth);
    else if (char === "}" || char === "]") depth--;
  }
  return { depth: deepest, isUnstorable };
}
