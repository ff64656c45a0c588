/**
 * Test helpers that check the sync engine's invariants (DESIGN.md) against the sandbox vendor's
 * own records: what an account should show once quiet, and what its per-field apply log says
 * about OneProfile's writes there.
 */
import type { TApplyLogEntry } from "../sandbox/events";
import { toNetworkView } from "../server/registration/network-view";
import { mapSettings } from "../server/sync/map-settings";
import { PROFILE_FIELDS, WRITE_KEY_PREFIX, type TMappedDraft, type TProfileSnapshot } from "../server/sync/state";

/** What an account on this network syncing every field shows of the desired profile (invariant 1). */
export function expectedSettings(
  snapshot: TProfileSnapshot,
  network: Parameters<typeof toNetworkView>[0],
): TMappedDraft {
  const view = toNetworkView(network);
  return mapSettings({
    snapshot,
    fields: PROFILE_FIELDS,
    sync: { avatar: true, displayName: true, signature: true, mood: true },
    capabilities: view.capabilities,
    networkName: view.displayName,
  }).settings;
}

export interface TApplyLogAudit {
  /** The distinct idempotency keys of our writes the vendor applied. */
  keys: Set<string>;
  /** A field of one write applied more than once, as `key|field`. */
  appliedTwice: string[];
  /** A field written with an older revision version after a newer one (or naming none), described. */
  olderAfterNewer: string[];
}

/** The revision version of `field` that a write key names (NaN if it names none). */
function versionIn(key: string, field: string): number {
  const pair = key
    .split(":")
    .pop()!
    .split(",")
    .find((item) => item.startsWith(`${field}=`));
  return Number(pair?.split("=")[1] ?? Number.NaN);
}

/**
 * Walks one account's apply log in the vendor's order: each field of each write (key) must be
 * applied once, and per field the revision versions written (from the keys) must never go down.
 * Changes made inside the network and writes of others (no key of ours) are left out.
 */
export function auditApplyLog(entries: readonly TApplyLogEntry[]): TApplyLogAudit {
  const audit: TApplyLogAudit = { keys: new Set(), appliedTwice: [], olderAfterNewer: [] };
  const applied = new Set<string>();
  const last = new Map<string, { version: number; key: string }>();
  for (const entry of entries) {
    const key = entry.idempotencyKey;
    if (entry.origin !== "api" || !key?.startsWith(WRITE_KEY_PREFIX)) continue;
    audit.keys.add(key);
    const once = `${key}|${entry.field}`;
    if (applied.has(once)) audit.appliedTwice.push(once);
    applied.add(once);
    // The mood's text travels with the mood and carries its version.
    const field = entry.field === "moodText" ? "mood" : entry.field;
    const version = versionIn(key, field);
    const before = last.get(field);
    if (!Number.isFinite(version)) {
      audit.olderAfterNewer.push(`${field}: write ${key} names no version of it`);
    } else if (before && version < before.version) {
      audit.olderAfterNewer.push(`${field}: v${version} (${key}) after v${before.version} (${before.key})`);
    }
    if (Number.isFinite(version)) last.set(field, { version, key });
  }
  return audit;
}
