/**
 * Level-triggered sync (../../shared/CONVERGENCE.md), the pure core. Pure: data in, data out.
 *
 * - **Desired state** — per user and profile field, the version of the revision that last changed
 *   it (`fieldVersions` on the latest revision; the database's order of revisions decides).
 * - **Observed state** — per linked account and field: `v`, the field version the account shows;
 *   `h`, a hash of the value it shows; `m`, the vendor's mark (its per-account version) of our
 *   last write there or of the last report we took from it.
 * - An account *owes* a field when it syncs it and the desired version is newer than `v`. A sync
 *   job sends exactly what is owed, mapped from the desired state read at send time, so an older
 *   value can never follow a newer one and nothing is superseded away.
 *
 * The echo rule (DESIGN.md "Echo suppression"): a profile update message from network B (the
 * monitor's report of a change inside B) is classified per field, in this order —
 * 1. it carries the idempotency key of one of our writes → **echo** (our own sync update message);
 * 2. its vendor mark is not newer than B's mark for that field → **stale** (B has since shown a
 *    later value: ours, or a report already taken);
 * 3. its value is the one of our write still unconfirmed at B → **echo** (a write whose answer we
 *    never recorded, e.g. the worker crashed);
 * 4. its value is what B is already known to show → **unchanged**;
 * 5. otherwise → **genuine**: a new revision with source B, B's observed state set to it, and every
 *    other active account that syncs the field owes it. Nothing else is ever fanned out.
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

/** A vendor's mark: its per-account version number, or an ISO timestamp. */
export const ZVendorMark = z.union([z.number(), z.string()]).nullable();
export type TVendorMark = z.infer<typeof ZVendorMark>;

/** `v` is -1 when what the account shows is unknown (it became active again): every field owed. */
export const ZObservedField = z.object({ v: z.number().int().min(-1), h: z.string().nullable(), m: ZVendorMark });
export type TObservedField = z.infer<typeof ZObservedField>;
export const ZObserved = z.partialRecord(ZProfileField, ZObservedField);
export type TObserved = z.infer<typeof ZObserved>;

/** Hashes of a write sent but not yet confirmed, per field. */
export const ZPendingWrite = z.partialRecord(ZProfileField, z.string());
export type TPendingWrite = z.infer<typeof ZPendingWrite>;

/**
 * A write sent but not confirmed (no answer yet: in flight, timed out, or the worker died). It is
 * sent again exactly — same keys, same body — before anything newer, so the vendor applies it
 * once and, if a late copy of it lands, it lands before the newer write, never after.
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

/** The hash of each field of a mapped draft (mood and its text travel together). */
export function hashesOf(settings: TMappedDraft): TPendingWrite {
  const hashes: TPendingWrite = {};
  if (settings.displayName !== undefined) hashes.displayName = hashValue(settings.displayName);
  if (settings.signature !== undefined) hashes.signature = hashValue(settings.signature);
  if (settings.mood !== undefined || settings.moodText !== undefined) {
    hashes.mood = hashValue(`${settings.mood ?? "\u0000"}\u0001${settings.moodText ?? ""}`);
  }
  if (settings.avatarSha256 !== undefined) hashes.avatar = hashValue(settings.avatarSha256);
  return hashes;
}

/** Marks compare as numbers when both are numbers, otherwise as instants. */
export function compareMarks(a: TVendorMark, b: TVendorMark): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return new Date(String(a)).getTime() - new Date(String(b)).getTime();
}

export function maxMark(a: TVendorMark, b: TVendorMark): TVendorMark {
  return compareMarks(a, b) >= 0 ? a : b;
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

/**
 * The fields an account owes: synced, and desired newer than what it shows. Fields the network
 * does not support are never owed.
 */
export function owedFields(input: {
  desired: TFieldVersions;
  observed: TObserved;
  sync: Record<TProfileField, boolean>;
  supported: Record<TProfileField, boolean>;
}): TProfileField[] {
  return PROFILE_FIELDS.filter((field) => {
    const wanted = input.desired[field] ?? 0;
    return input.sync[field] && input.supported[field] && wanted > (input.observed[field]?.v ?? 0);
  });
}

/**
 * Merges what an account now shows into its observed state, per field never backwards: a field
 * version only grows, and so does the vendor mark.
 */
export function mergeObserved(current: TObserved, update: TObserved): TObserved {
  const merged: TObserved = { ...current };
  for (const field of PROFILE_FIELDS) {
    const next = update[field];
    if (!next) continue;
    const previous = current[field];
    if (!previous || next.v >= previous.v) {
      merged[field] = { v: next.v, h: next.h, m: maxMark(previous?.m ?? null, next.m) };
    } else {
      merged[field] = { ...previous, m: maxMark(previous.m, next.m) };
    }
  }
  return merged;
}

/** Raises only the vendor marks (for echoes and stale reports: the account showed them). */
export function raiseMarks(current: TObserved, fields: readonly TProfileField[], mark: TVendorMark): TObserved {
  const raised: TObserved = { ...current };
  for (const field of fields) {
    const previous = current[field];
    raised[field] = previous ? { ...previous, m: maxMark(previous.m, mark) } : { v: 0, h: null, m: mark };
  }
  return raised;
}

/**
 * Forgets which versions an account shows (it must be sent everything again), keeping marks and
 * hashes. An account active again (`isUnknown`) has every field unknown (-1), so it is owed even
 * where the person never set it — it then shows the profile's value, not one changed there while
 * it was inactive, and every account ends on one value. A newly linked account keeps what it
 * shows of the fields the person never set (version 0).
 */
export function forgetVersions(observed: TObserved, options: { isUnknown: boolean } = { isUnknown: true }): TObserved {
  const reset: TObserved = {};
  for (const field of PROFILE_FIELDS) {
    const previous = observed[field];
    if (options.isUnknown) reset[field] = { v: -1, h: previous?.h ?? null, m: previous?.m ?? null };
    else if (previous) reset[field] = { v: 0, h: previous.h, m: previous.m };
  }
  return reset;
}

export type TReportVerdict = "echo" | "stale" | "unchanged" | "genuine";

/** The echo rule (see the header), per reported field. */
export function classifyReport(input: {
  observed: TObserved;
  pendingWrite: TPendingWrite | null;
  report: { mark: TVendorMark; isOurWrite: boolean; hashes: TPendingWrite };
}): Partial<Record<TProfileField, TReportVerdict>> {
  const verdicts: Partial<Record<TProfileField, TReportVerdict>> = {};
  const { report } = input;
  for (const field of Object.keys(report.hashes) as TProfileField[]) {
    const hash = report.hashes[field];
    const known = input.observed[field];
    if (report.isOurWrite) verdicts[field] = "echo";
    else if (report.mark !== null && known?.m != null && compareMarks(report.mark, known.m) <= 0)
      verdicts[field] = "stale";
    else if (input.pendingWrite?.[field] === hash) verdicts[field] = "echo";
    else if (known && known.h === hash) verdicts[field] = "unchanged";
    else verdicts[field] = "genuine";
  }
  return verdicts;
}

/**
 * The idempotency key of one write: the account, its sync epoch, and the field versions sent.
 * A retry of the same write reuses it (applied once); anything newer gets a new one.
 */
export function writeKeyOf(input: {
  accountId: string;
  epoch: number;
  part: string;
  versions: TFieldVersions;
}): string {
  const versions = PROFILE_FIELDS.filter((field) => input.versions[field] !== undefined)
    .map((field) => `${field}=${input.versions[field]}`)
    .join(",");
  return `${WRITE_KEY_PREFIX}${input.accountId}:${input.epoch}:${input.part}:${versions}`;
}
export const WRITE_KEY_PREFIX = "oneprofile:";

export type TDeliveryOutcome = "open" | "delivered" | "superseded";

/**
 * One entry per change per account (a Delivery) follows the account's observed state: delivered
 * when the account shows its revision's version of each of its fields, superseded when a later
 * change of every one of them got there first, open otherwise. `versions` are the desired field
 * versions at the delivery's revision.
 */
export function deliveryOutcome(
  delivery: { fields: readonly TProfileField[]; versions: TFieldVersions },
  observed: TObserved,
): TDeliveryOutcome {
  const pairs = delivery.fields.map((field) => [observed[field]?.v ?? 0, delivery.versions[field] ?? 0] as const);
  if (pairs.some(([shown, wanted]) => shown < wanted)) return "open";
  return pairs.length === 0 || pairs.some(([shown, wanted]) => shown === wanted) ? "delivered" : "superseded";
}
