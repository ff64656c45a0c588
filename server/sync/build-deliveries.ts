/**
 * The registration server's fan-out rule (patent claims 1, 3, 6): one Delivery — the entry a
 * person watches — per *other* linked, active account that syncs at least one changed field. The
 * source account gets none: it already shows the change. Pure.
 */
import type { TCapabilities } from "../connectors/types";
import { mapSettings, type TMapping } from "./map-settings";
import type { TProfileField, TProfileSnapshot } from "./state";

export interface TTargetAccount {
  id: string;
  networkId: string;
  networkName: string;
  isNetworkEnabled: boolean;
  status: "ACTIVE" | "NEEDS_REAUTH";
  /** Paused by support: sent nothing until an admin resumes it. */
  isPaused: boolean;
  sync: Record<TProfileField, boolean>;
  capabilities: TCapabilities;
}

export interface TDeliveryDraft extends TMapping {
  accountId: string;
  networkId: string;
  /** The changed fields this account will be sent (synced and supported). */
  fields: TProfileField[];
  /** Nothing to send: every changed field is unsupported by the network or not synced. */
  isSkipped: boolean;
}

export function isTargetActive(target: Pick<TTargetAccount, "isNetworkEnabled" | "status" | "isPaused">): boolean {
  return target.isNetworkEnabled && target.status === "ACTIVE" && !target.isPaused;
}

export function buildDeliveries(input: {
  snapshot: TProfileSnapshot;
  changedFields: readonly TProfileField[];
  sourceAccountId: string | null;
  targets: readonly TTargetAccount[];
}): TDeliveryDraft[] {
  const drafts: TDeliveryDraft[] = [];
  for (const target of input.targets) {
    if (!isTargetActive(target) || target.id === input.sourceAccountId) continue;
    if (!input.changedFields.some((field) => target.sync[field])) continue;
    const mapping = mapSettings({
      snapshot: input.snapshot,
      fields: input.changedFields,
      sync: target.sync,
      capabilities: target.capabilities,
      networkName: target.networkName,
    });
    const skipped = new Set(mapping.skipped.map((entry) => entry.field));
    const fields = input.changedFields.filter((field) => !skipped.has(field));
    drafts.push({
      accountId: target.id,
      networkId: target.networkId,
      fields,
      ...mapping,
      isSkipped: fields.length === 0,
    });
  }
  return drafts;
}
