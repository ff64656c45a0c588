/**
 * What a watch of an XMPP account records, and reading it back as a report. Each PEP node holds one
 * field; the item id the server stored is the field's mark, compared by equality (it has no order).
 * OneProfile publishes text fields under an item id made of its write key, so their echoes are
 * known by the id; the avatar's item id is the SHA-1 of its bytes (XEP-0084), so its echo is known by
 * the value.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { WRITE_KEY_PREFIX } from "../../sync/state";
import { ConnectorError, type TNetworkReport, type TProfileField } from "../types";
import type { TVendorMark } from "../../sync/state";

/** The separator between a write key and the field in the item ids OneProfile publishes. */
const ITEM_FIELD_SEPARATOR = "#";

/** The item id OneProfile publishes a text field under: its write key and the field. */
export function itemIdOf(writeKey: string, field: TProfileField): string {
  return `${writeKey}${ITEM_FIELD_SEPARATOR}${field}`;
}

/** The write key an item id carries, when OneProfile published it. */
export function writeKeyOf(itemId: string | null): string | null {
  if (!itemId?.startsWith(WRITE_KEY_PREFIX)) return null;
  return itemId.slice(0, itemId.lastIndexOf(ITEM_FIELD_SEPARATOR));
}

/**
 * A field's mark: its item id. An id OneProfile published (its write key) or an avatar's (the SHA-1
 * of its bytes) names one value. Other clients may publish every change under one fixed id (XEP-0060
 * singleton nodes use "current"), so an equal id says nothing there: the value's own hash is added.
 */
export function markOf(field: TProfileField, itemId: string | null, value: string | null | undefined): TVendorMark {
  if (itemId === null) return null;
  if (field === "avatar" || writeKeyOf(itemId) !== null) return itemId;
  return `${itemId}:${createHash("sha256")
    .update(value ?? "")
    .digest("hex")
    .slice(0, 16)}`;
}

const ZAvatar = z.object({ url: z.string().max(200), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable();

/** A watched change, as recorded (the monitor's inbound_events.payload). */
export const ZXmppEvent = z.object({
  login: z.string().min(1).max(3071),
  field: z.enum(["displayName", "signature", "mood", "avatar"]),
  itemId: z.string().max(1000).nullable(),
  values: z.object({
    displayName: z.string().max(10_000).optional(),
    signature: z.string().max(10_000).optional(),
    mood: z.string().max(100).nullable().optional(),
    moodText: z.string().max(10_000).optional(),
    avatar: ZAvatar.optional(),
  }),
});
export type TXmppEvent = z.infer<typeof ZXmppEvent>;

/** The value a field's mark hashes: its text, or the mood's word and text together. */
export function valueOfField(field: TProfileField, values: TXmppEvent["values"]): string | null {
  if (field === "displayName") return values.displayName ?? "";
  if (field === "signature") return values.signature ?? "";
  if (field === "mood") return JSON.stringify({ mood: values.mood ?? null, text: values.moodText || null });
  return null;
}

export function parseXmppReport(payload: unknown): TNetworkReport {
  const parsed = ZXmppEvent.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConnectorError(
      "permanent",
      `The event is not valid: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}.`,
    );
  }
  const { login, field, itemId, values } = parsed.data;
  const writeKey = writeKeyOf(itemId);
  return {
    login,
    fields: [field],
    values,
    mark: markOf(field, itemId, valueOfField(field, values)),
    writeKey,
    // Our text writes carry the write key in their item id: one without is a change made there.
    // An avatar's id is its bytes' SHA-1 whoever published it: only the value can tell.
    isWriterKnown: field !== "avatar",
  };
}
