/**
 * The registration server's fan-out rule (patent claims 1, 3, 6): one delivery per *other*
 * linked, active account that syncs at least one changed field. The source account gets none —
 * unless an older pending delivery it is owed is superseded, in which case it gets just those
 * other fields. Pure.
 */
import type { TCapabilities, TProfileField } from "../connectors/types";
import { mapSettings, type TMapping, type TProfileSnapshot } from "./map-settings";

export interface TTargetAccount {
  id: string;
  networkName: string;
  isNetworkEnabled: boolean;
  status: "ACTIVE" | "NEEDS_REAUTH";
  sync: Record<TProfileField, boolean>;
  capabilities: TCapabilities;
}

export interface TDeliveryDraft extends TMapping {
  accountId: string;
  /** The fields this delivery is about (changed, plus those of older pending ones it replaces). */
  fields: TProfileField[];
  /** Nothing to send: every field is unsupported by the network. */
  isSkipped: boolean;
}

export function buildDeliveries(input: {
  snapshot: TProfileSnapshot;
  changedFields: readonly TProfileField[];
  sourceAccountId: string | null;
  targets: readonly TTargetAccount[];
  /** Per account, fields of older pending deliveries this revision supersedes. */
  carriedFields?: ReadonlyMap<string, readonly TProfileField[]>;
}): TDeliveryDraft[] {
  const drafts: TDeliveryDraft[] = [];
  for (const target of input.targets) {
    if (!target.isNetworkEnabled || target.status !== "ACTIVE") continue;
    const carried = input.carriedFields?.get(target.id) ?? [];
    // The source already shows the change; it only gets what older pending deliveries owed it.
    const fields =
      target.id === input.sourceAccountId
        ? carried.filter((field) => !input.changedFields.includes(field))
        : [...new Set([...input.changedFields, ...carried])];
    if (!fields.some((field) => target.sync[field])) continue;
    const mapping = mapSettings({
      snapshot: input.snapshot,
      fields,
      sync: target.sync,
      capabilities: target.capabilities,
      networkName: target.networkName,
    });
    drafts.push({ accountId: target.id, fields, ...mapping, isSkipped: Object.keys(mapping.settings).length === 0 });
  }
  return drafts;
}
