/**
 * What each linked account shows, and what it owes: the sync engine's one rule (issue 14;
 * ../../shared/CONVERGENCE.md is the background). Pure: data in, data out.
 *
 * - **Desired state** — per person and field, the latest revision (the database orders them:
 *   last writer wins per field), mapped for each account (its network's limits, words, avatar
 *   rendition) and hashed. A field the person never set has no value of theirs to send.
 * - **Observed state** — per account and field, the latest *observation* by the vendor's mark:
 *   `h`, the hash of the value seen (in the network's words; null: unknown); `m`, the mark of that
 *   observation (a version, a timestamp, a content id). Every observation feeds it, whatever else
 *   becomes of it: a write's answer, every report that names the account (taken, echoed, stale,
 *   refused, ignored because the account is inactive or the field not synced), `verify` at link, and
 *   reads (a re-link asks for one, read under the lease). Ordered marks compare by order, unordered
 *   ones by equality.
 *   `v` (the version of the person's change the account shows) only feeds Activity; `r` is a value of
 *   ours the account refused for good; `t`, for a field the person never set, the value it showed
 *   when linked (left alone).
 * - **Owed is computed from values:** an account owes a field it syncs and its network supports when
 *   the desired hash differs from the observed one — and from a value it refused for good (not owed
 *   again until the person's value changes, or someone asks to try again: a Retry, support's
 *   retry or resend forget the account's refusals). A field the person never set is owed — its empty value —
 *   only when the account is known to show something other than what it showed when first seen (a
 *   value we did not take there is cleared, so every account ends on one value); unknown, nothing is
 *   owed until an observation says. No version decides what an account shows, so there is no epoch.
 * - **Marks order observations:** a report whose mark is not newer than the field's is *stale* (an
 *   old webhook, late or repeated) and changes nothing. An *answer we asked for* (a write's answer,
 *   `verify`, a read) with a lower mark than stored means the vendor went back in time (restored from
 *   a backup, account re-created): a **reset** — adopted for every field, so whatever differs is owed.
 *   A replayed answer (the vendor's idempotency store) is only as new as its mark says.
 * - **A report is judged per field:** our own write (the vendor names its idempotency key) → *echo*
 *   (fresh or not); not newer than what was seen → *stale*; a field the account does not sync →
 *   recorded, never taken; a keyless report equal to our unconfirmed write → *echo*; an answer under
 *   the mark already seen, or a field whose shown value was unknown (after a reset) → *unchanged* (the
 *   value is adopted, never taken as a change); equal to what the account showed, or to our own mapping
 *   of the desired value (a lossy rendering: a fallback mood, a cut text) → *unchanged*; otherwise
 *   *genuine*. Mood and
 *   mood text are judged apart: only a part that differs from both is taken, and mood text only from a
 *   network that shows one. A genuine value becomes a new revision (if it can be taken and the account
 *   is active); otherwise it stays observed, so the account owes the profile's value.
 * - **Write keys** are derived from what is sent and from what the account was observed to show
 *   (`writeBasis`: hash, mark, and the resets seen, `e`): a resend after the account changed — or
 *   after the vendor went back to a state seen before — is a new write, never a replay of the old
 *   one; a retry of the same write, against the same observation, reuses its key and is applied once.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const PROFILE_FIELDS = ["avatar", "displayName", "signature", "mood"] as const;
export const ZProfileField = z.enum(PROFILE_FIELDS);
export type TProfileField = z.infer<typeof ZProfileField>;

export { PROFILE_LIMITS } from "./text";

/** The unified profile after a revision (OneProfile's own vocabulary; avatar by sha256). */
export const ZProfileSnapshot = z.object({
  displayName: z.string().nullable(),
  signature: z.string().nullable(),
  mood: z.string().nullable(),
  moodText: z.string().nullable(),
  avatarSha256: z.string().nullable(),
});
export type TProfileSnapshot = z.infer<typeof ZProfileSnapshot>;
export const EMPTY_SNAPSHOT: TProfileSnapshot = {
  displayName: null,
  signature: null,
  mood: null,
  moodText: null,
  avatarSha256: null,
};

/** The settings one network receives: only the fields to change (avatar: a rendition sha256). */
export const ZMappedDraft = z
  .object({
    displayName: z.string(),
    signature: z.string(),
    mood: z.string().nullable(),
    moodText: z.string(),
    avatarSha256: z.string().nullable(),
  })
  .partial()
  .strict();
export type TMappedDraft = z.infer<typeof ZMappedDraft>;

/** Desired state: per field, the version of the revision that last changed it. */
export const ZFieldVersions = z.partialRecord(ZProfileField, z.number().int().nonnegative());
export type TFieldVersions = z.infer<typeof ZFieldVersions>;

/** A vendor's mark: its per-account version number, a timestamp, or a content id. */
export const ZVendorMark = z.union([z.number(), z.string()]).nullable();
export type TVendorMark = z.infer<typeof ZVendorMark>;

export const ZObservedField = z.object({
  /** Hash of the value last observed there, in the network's words; null: unknown. */
  h: z.string().nullable(),
  /** The vendor's mark of that observation. */
  m: ZVendorMark,
  /** The version of the person's change of this field the account shows (0: none known); for Activity. */
  v: z.number().int().nonnegative(),
  /** A value of ours the account refused for good: its hash, its field version, the vendor's reason. */
  r: z.object({ h: z.string(), v: z.number().int().nonnegative(), why: z.string() }).optional(),
  /** A field the person never set: the hash of what the account showed when linked (left alone). */
  t: z.string().optional(),
  /**
   * Resets seen (the vendor went back in time). Part of every write key's basis: a vendor restored
   * to a state we saw before would otherwise be sent a key it already used, and replay its old
   * answer instead of applying the write.
   */
  e: z.number().int().nonnegative().optional(),
});
export type TObservedField = z.infer<typeof ZObservedField>;
export const ZObserved = z.partialRecord(ZProfileField, ZObservedField);
export type TObserved = z.infer<typeof ZObserved>;

/** Hashes per field (of a write, a report, a mapping). */
export const ZPendingWrite = z.partialRecord(ZProfileField, z.string());
export type TPendingWrite = z.infer<typeof ZPendingWrite>;
export type TFieldHashes = TPendingWrite;

/**
 * A write sent but not confirmed (no answer yet: in flight, timed out, or the worker died). It is
 * sent again exactly — same keys, same body — before anything newer, so the vendor applies it
 * once and, if a late copy of it lands, it lands before the newer write, never after. Whatever it
 * leaves behind that is no longer desired is owed, and so sent next.
 */
export const ZUnconfirmedWrite = z.object({
  versions: ZFieldVersions,
  hashes: ZPendingWrite,
  keys: z.object({ profile: z.string(), avatar: z.string() }),
  text: ZMappedDraft.omit({ avatarSha256: true }),
  /** The rendition sent (null: avatar removed); absent when the avatar is not part of it. */
  avatarSha256: z.string().nullable().optional(),
});
export type TUnconfirmedWrite = z.infer<typeof ZUnconfirmedWrite>;

export function hashValue(value: string | null | undefined): string {
  return createHash("sha256")
    .update(value ?? "\u0000")
    .digest("hex");
}

/** A mood's hash: its word's and its text's, joined, so the two parts can be judged apart. */
export function moodHash(mood: string | null | undefined, moodText: string | null | undefined): string {
  return `${hashValue(mood ?? null)}.${hashValue(moodText ?? "")}`;
}

/** The two parts of a mood hash (word, text); null for anything else. */
export function moodParts(hash: string | null | undefined): { word: string; text: string } | null {
  if (!hash) return null;
  const [word, text, ...rest] = hash.split(".");
  return word && text && rest.length === 0 ? { word, text } : null;
}

/** The hash of each field of a mapped draft (a mood and its text hash as one field, in two parts). */
export function hashesOf(settings: TMappedDraft): TFieldHashes {
  const hashes: TFieldHashes = {};
  if (settings.displayName !== undefined) hashes.displayName = hashValue(settings.displayName);
  if (settings.signature !== undefined) hashes.signature = hashValue(settings.signature);
  if (settings.mood !== undefined || settings.moodText !== undefined) {
    hashes.mood = moodHash(settings.mood, settings.moodText);
  }
  if (settings.avatarSha256 !== undefined) hashes.avatar = hashValue(settings.avatarSha256);
  return hashes;
}

function instant(mark: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(mark)) return null;
  const time = Date.parse(mark);
  return Number.isNaN(time) ? null : time;
}

/**
 * How two marks of one account compare: a negative number when `a` is older, 0 when equal, positive
 * when newer; null when they have no order (content ids, item ids: only equality says anything).
 */
export function compareMarks(a: TVendorMark, b: TVendorMark): number | null {
  if (a === b) return 0;
  if (typeof a === "number" && typeof b === "number") return Math.sign(a - b);
  if (typeof a !== "string" || typeof b !== "string") return null;
  const [x, y] = [instant(a), instant(b)];
  return x !== null && y !== null ? Math.sign(x - y) : null;
}

/** Whether an observation marked `mark` is newer than one marked `known` (an unknown or unordered one is). */
export function isNewerMark(mark: TVendorMark, known: TVendorMark | undefined): boolean {
  const order = mark === null ? null : compareMarks(mark, known ?? null);
  return order === null || order > 0;
}

/** Whether `mark` is older than `known` by their order (unordered or missing marks are never older). */
export function isOlderMark(mark: TVendorMark, known: TVendorMark | undefined): boolean {
  const order = compareMarks(mark, known ?? null);
  return order !== null && order < 0;
}

/** The desired field versions after a revision that changed `changed` at `version`. */
export function fieldVersionsAfter(
  before: TFieldVersions,
  changed: readonly TProfileField[],
  version: number,
): TFieldVersions {
  const after: TFieldVersions = { ...before };
  for (const field of changed) after[field] = version;
  return after;
}

/** One field of the desired state, mapped for one account. */
export interface TDesiredField {
  /** Hash of the mapped value; null when nothing is sent (the network cannot show it). */
  hash: string | null;
  /** The version of the person's latest change of it (0: never set). */
  version: number;
}
export type TDesiredFields = Record<TProfileField, TDesiredField>;

/** The desired state for one account: its full mapping hashed, per field, with the field versions. */
export function desiredFieldsOf(mapped: TMappedDraft, versions: TFieldVersions): TDesiredFields {
  const hashes = hashesOf(mapped);
  const desired = {} as TDesiredFields;
  for (const field of PROFILE_FIELDS) desired[field] = { hash: hashes[field] ?? null, version: versions[field] ?? 0 };
  return desired;
}

/** Whether one field is owed (see the header); `sync` and `supported` are the account's switches. */
export function isOwed(desired: TDesiredField, shown: TObservedField | undefined): boolean {
  if (desired.hash === null || shown?.h === desired.hash) return false;
  if (shown?.r && shown.r.h === desired.hash && shown.r.v >= desired.version) return false;
  // A field never set is owed only when the account is known to show something else than what it
  // showed when linked (a value we did not take); what it shows unknown, nothing is owed yet.
  return desired.version > 0 || (shown !== undefined && shown.h !== null && shown.h !== shown.t);
}

/** The fields an account owes: synced, supported by its network, and differing in value. */
export function owedFields(input: {
  desired: TDesiredFields;
  observed: TObserved;
  sync: Record<TProfileField, boolean>;
  supported: Record<TProfileField, boolean>;
}): TProfileField[] {
  return PROFILE_FIELDS.filter(
    (field) => input.sync[field] && input.supported[field] && isOwed(input.desired[field], input.observed[field]),
  );
}

/** An observation of an account: what the vendor showed, per field, under which mark. */
export interface TObservation {
  /**
   * "report": told by the network (webhook, push); "answer": asked for (a write's answer, verify, a
   * read) — only an answer can reveal a reset; "replay": a write's answer replayed from the vendor's
   * idempotency store (as new as its mark, no more).
   */
  kind: "report" | "answer" | "replay";
  hashes: TFieldHashes;
  marks: Partial<Record<TProfileField, TVendorMark>>;
  /** For a write's answer: the field versions it carried. */
  versions?: TFieldVersions;
}

export interface TObserveResult {
  observed: TObserved;
  /** The fields this observation is newer for (the others were stale). */
  fresh: TProfileField[];
  /**
   * Of those, the ones an answer showed under the very mark already seen: the vendor says nothing
   * changed there, so a different value is its rendering of what it had, never a change to take.
   */
  sameMark: TProfileField[];
  /** The vendor went back in time: every field was adopted from this answer. */
  isReset: boolean;
}

/**
 * Feeds one observation into an account's observed state (see the header). `desired` lets a value
 * equal to the desired one carry the desired version (Activity then shows it delivered).
 */
export function observe(current: TObserved, observation: TObservation, desired?: TDesiredFields): TObserveResult {
  const fields = PROFILE_FIELDS.filter((field) => observation.hashes[field] !== undefined);
  const versionOf = (field: TProfileField, hash: string | null, previous: TObservedField | undefined) => {
    if (observation.versions?.[field] !== undefined) return observation.versions[field]!;
    if (desired && hash !== null && desired[field].hash === hash) return desired[field].version;
    return previous && previous.h === hash ? previous.v : 0;
  };
  const isReset =
    observation.kind === "answer" &&
    fields.some((field) => isOlderMark(observation.marks[field] ?? null, current[field]?.m));
  const observed: TObserved = { ...current };
  if (isReset) {
    const mark = fields.map((field) => observation.marks[field] ?? null).find((m) => m !== null) ?? null;
    for (const field of PROFILE_FIELDS) {
      const hash = observation.hashes[field] ?? null;
      const previous = current[field];
      observed[field] = {
        ...previous,
        h: hash,
        m: observation.marks[field] ?? mark,
        v: versionOf(field, hash, previous),
        e: (previous?.e ?? 0) + 1,
      };
    }
    return { observed, fresh: fields, sameMark: [], isReset };
  }
  const fresh: TProfileField[] = [];
  const sameMark: TProfileField[] = [];
  for (const field of fields) {
    const previous = current[field];
    const mark = observation.marks[field] ?? null;
    const isSame = observation.kind === "answer" && previous?.m != null && compareMarks(mark, previous.m) === 0;
    if (!isSame && !isNewerMark(mark, previous?.m)) continue;
    if (isSame) sameMark.push(field);
    const hash = observation.hashes[field]!;
    observed[field] = { ...previous, h: hash, m: mark, v: versionOf(field, hash, previous) };
    // The first value seen of a field the person never set is what it shows of its own: left alone.
    const isFirstSight = (previous?.h ?? null) === null && previous?.t === undefined;
    if (isFirstSight && desired !== undefined && desired[field].version === 0) observed[field]!.t = hash;
    fresh.push(field);
  }
  return { observed, fresh, sameMark, isReset };
}

export type TReportVerdict = "stale" | "echo" | "unchanged" | "not_synced" | "genuine" | "reset";

/** For a genuine mood: which parts to take (a part equal to what was shown, or to ours, is not). */
export interface TMoodTake {
  word: boolean;
  text: boolean;
}

/**
 * Judges each field of a report or read against the account's state before it (see the header).
 * `isOurWrite`: the vendor named the write that caused it (true), named none (false: a change made
 * there), or cannot tell (null: then a value equal to our unconfirmed write is taken for its echo).
 */
export function judgeReport(input: {
  before: TObserved;
  result: TObserveResult;
  hashes: TFieldHashes;
  desired: TDesiredFields;
  pendingWrite: TFieldHashes | null;
  isOurWrite: boolean | null;
  sync: Record<TProfileField, boolean>;
  hasMoodText: boolean;
}): { verdicts: Partial<Record<TProfileField, TReportVerdict>>; mood: TMoodTake } {
  const verdicts: Partial<Record<TProfileField, TReportVerdict>> = {};
  const mood: TMoodTake = { word: false, text: false };
  for (const field of PROFILE_FIELDS) {
    const hash = input.hashes[field];
    if (hash === undefined) continue;
    const shown = input.before[field]?.h ?? null;
    const wanted = input.desired[field].hash;
    if (input.result.isReset) verdicts[field] = "reset";
    else if (input.isOurWrite === true) verdicts[field] = "echo";
    else if (!input.result.fresh.includes(field)) verdicts[field] = "stale";
    else if (input.result.sameMark.includes(field)) verdicts[field] = "unchanged";
    // What it showed is unknown (after a reset, or from before this rule): never taken as a change.
    else if (input.before[field] !== undefined && shown === null) verdicts[field] = "unchanged";
    else if (!input.sync[field]) verdicts[field] = "not_synced";
    else if (input.isOurWrite === null && input.pendingWrite?.[field] === hash) verdicts[field] = "echo";
    else if (hash === shown || hash === wanted) verdicts[field] = "unchanged";
    else if (field !== "mood") verdicts[field] = "genuine";
    else {
      // A reported mood always hashes in two parts; what was shown may be unknown (null).
      const now = moodParts(hash)!;
      const [was, ours] = [moodParts(shown), moodParts(wanted)];
      mood.word = now.word !== was?.word && now.word !== ours?.word;
      mood.text = input.hasMoodText && now.text !== was?.text && now.text !== ours?.text;
      verdicts[field] = mood.word || mood.text ? "genuine" : "unchanged";
    }
  }
  return { verdicts, mood };
}

/**
 * What a write's key depends on besides its field versions: the values sent and what the account
 * was observed to show of those fields (hash and mark), so a resend after the account changed is a
 * new write. A short hex digest.
 */
export function writeBasis(observed: TObserved, hashes: TFieldHashes): string {
  const parts = PROFILE_FIELDS.filter((field) => hashes[field] !== undefined).map((field) => [
    field,
    hashes[field],
    observed[field]?.h ?? null,
    observed[field]?.m ?? null,
    observed[field]?.e ?? 0,
  ]);
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/**
 * The idempotency key of one write: the account, the basis (what is sent, against what was seen),
 * and the field versions sent. A retry of the same write reuses it (applied once).
 */
export function writeKeyOf(input: {
  accountId: string;
  basis: string;
  part: string;
  versions: TFieldVersions;
}): string {
  const versions = PROFILE_FIELDS.filter((field) => input.versions[field] !== undefined)
    .map((field) => `${field}=${input.versions[field]}`)
    .join(",");
  return `${WRITE_KEY_PREFIX}${input.accountId}:${input.basis}:${input.part}:${versions}`;
}
export const WRITE_KEY_PREFIX = "oneprofile:";

/**
 * An account that owes nothing shows the desired state of every field whose value it shows: those
 * fields take the desired versions (so Activity settles its entries), never lower ones.
 */
export function raiseShown(observed: TObserved, desired: TDesiredFields): TObserved {
  const raised: TObserved = { ...observed };
  for (const field of PROFILE_FIELDS) {
    const shown = observed[field];
    const wanted = desired[field];
    if (shown && wanted.hash !== null && shown.h === wanted.hash && wanted.version > shown.v) {
      raised[field] = { ...shown, v: wanted.version };
    }
  }
  return raised;
}

/**
 * Records a write the vendor refused for good: the field keeps its observed value, and the value
 * sent is not owed again until the person's changes.
 */
export function refuseWrite(
  observed: TObserved,
  write: Pick<TUnconfirmedWrite, "hashes" | "versions">,
  fields: readonly TProfileField[],
  why: string,
): TObserved {
  const next: TObserved = { ...observed };
  for (const field of fields) {
    const hash = write.hashes[field];
    if (hash === undefined) continue;
    const previous = observed[field] ?? { h: null, m: null, v: 0 };
    next[field] = { ...previous, r: { h: hash, v: write.versions[field] ?? 0, why } };
  }
  return next;
}

export type TDeliveryOutcome = "open" | "delivered" | "superseded" | "refused";

/**
 * One entry per change per account (a Delivery) follows the account's observed state: delivered
 * when the account shows its revision's version of each of its fields, superseded when a later
 * change of every one of them got there first, refused when the account refused a field of it for
 * good (and shows the rest), open otherwise. `versions` are the field versions at its revision.
 */
export function deliveryOutcome(
  delivery: { fields: readonly TProfileField[]; versions: TFieldVersions },
  observed: TObserved,
): TDeliveryOutcome {
  let isRefused = false;
  let isExact = delivery.fields.length === 0;
  for (const field of delivery.fields) {
    const wanted = delivery.versions[field] ?? 0;
    const shown = observed[field]?.v ?? 0;
    if (shown >= wanted) {
      if (shown === wanted) isExact = true;
    } else if ((observed[field]?.r?.v ?? -1) >= wanted) isRefused = true;
    else return "open";
  }
  if (isRefused) return "refused";
  return isExact ? "delivered" : "superseded";
}

/** Why a refused entry failed, in words: the accounts' reasons for its refused fields. */
export function refusalReason(fields: readonly TProfileField[], observed: TObserved): string {
  return fields
    .map((field) => observed[field]?.r?.why)
    .filter((why): why is string => Boolean(why))
    .join(" ");
}
