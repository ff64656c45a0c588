/**
 * A profile update (patent: the profile update message), from the portal or from a network's
 * monitor. In ONE transaction, serialised per user: the new revision (next version, with the
 * desired version of every field), one Delivery per other active account that syncs a changed
 * field (what the person watches), and those accounts marked dirty. The worker then brings each
 * account to the desired state it reads at send time.
 */
import type { TDb, TTx } from "../db";
import { lockUser, markDirty, wakeWorkers } from "../dispatch/queue";
import { buildDeliveries, type TTargetAccount } from "../sync/build-deliveries";
import {
  EMPTY_SNAPSHOT,
  fieldVersionsAfter,
  ZFieldVersions,
  type TFieldVersions,
  type TProfileField,
  type TProfileSnapshot,
} from "../sync/state";
import { syncOf } from "../registration/accounts";
import { accountNetworkView } from "../registration/network-view";
import { notifyActivity } from "./notify";

export type TProfileChanges = Partial<TProfileSnapshot>;

export interface TUpdateResult {
  revisionId: string;
  version: number;
  changedFields: TProfileField[];
  fieldVersions: TFieldVersions;
  deliveries: number;
}

export interface TDesiredState {
  snapshot: TProfileSnapshot;
  version: number;
  fieldVersions: TFieldVersions;
  revisionId: string | null;
}

/** Each person's latest change of every field: their latest revision (one query for any number). */
export async function currentSnapshots(
  db: Pick<TDb, "$queryRaw">,
  userIds: readonly string[],
): Promise<Map<string, TDesiredState>> {
  const unique = [...new Set(userIds)];
  const result = new Map<string, TDesiredState>(
    unique.map((userId) => [userId, { snapshot: EMPTY_SNAPSHOT, version: 0, fieldVersions: {}, revisionId: null }]),
  );
  if (unique.length === 0) return result;
  const rows = await db.$queryRaw<
    Array<TProfileSnapshot & { userId: string; id: string; version: number; fieldVersions: unknown }>
  >`
    SELECT DISTINCT ON (user_id) user_id AS "userId", id, version, display_name AS "displayName", signature, mood,
      mood_text AS "moodText", avatar_sha256 AS "avatarSha256", field_versions AS "fieldVersions"
    FROM profile_revisions
    WHERE user_id = ANY(${unique}::uuid[])
    ORDER BY user_id, version DESC`;
  for (const row of rows) {
    result.set(row.userId, {
      snapshot: {
        displayName: row.displayName,
        signature: row.signature,
        mood: row.mood,
        moodText: row.moodText,
        avatarSha256: row.avatarSha256,
      },
      version: row.version,
      fieldVersions: ZFieldVersions.parse(row.fieldVersions),
      revisionId: row.id,
    });
  }
  return result;
}

/** The person's latest change of every field: the latest revision. */
export async function currentSnapshot(db: Pick<TDb, "$queryRaw">, userId: string): Promise<TDesiredState> {
  return (await currentSnapshots(db, [userId])).get(userId)!;
}

/** Which profile fields differ; mood text belongs to the mood field. */
export function changedFieldsOf(before: TProfileSnapshot, changes: TProfileChanges): TProfileField[] {
  const differs = (key: keyof TProfileSnapshot) => changes[key] !== undefined && changes[key] !== before[key];
  const fields: TProfileField[] = [];
  if (differs("avatarSha256")) fields.push("avatar");
  if (differs("displayName")) fields.push("displayName");
  if (differs("signature")) fields.push("signature");
  if (differs("mood") || differs("moodText")) fields.push("mood");
  return fields;
}

/** Every account of the user as a possible target (active or not: the fan-out rule decides). */
export async function loadTargets(db: Pick<TDb, "linkedAccount">, userId: string): Promise<TTargetAccount[]> {
  const accounts = await db.linkedAccount.findMany({ where: { userId }, include: { network: true } });
  return accounts.map((account) => {
    const network = accountNetworkView(account);
    return {
      id: account.id,
      networkId: account.networkId,
      networkName: network.displayName,
      isNetworkEnabled: network.isEnabled,
      status: account.status,
      isPaused: account.pausedAt !== null,
      sync: syncOf(account),
      capabilities: network.capabilities,
    };
  });
}

/**
 * The transactional part of an update, for callers that already hold a transaction (the inbound
 * event handler records the source account's observed state in the same one). Takes the user lock.
 */
export async function recordProfileChange(
  tx: TTx,
  input: { userId: string; changes: TProfileChanges; source: string; sourceAccountId?: string | null },
): Promise<TUpdateResult | null> {
  await lockUser(tx, input.userId);
  const base = await currentSnapshot(tx, input.userId);
  const snapshot: TProfileSnapshot = { ...base.snapshot };
  for (const key of Object.keys(EMPTY_SNAPSHOT) as Array<keyof TProfileSnapshot>) {
    if (input.changes[key] !== undefined) snapshot[key] = input.changes[key] ?? null;
  }
  const changedFields = changedFieldsOf(base.snapshot, input.changes);
  if (changedFields.length === 0) return null;
  const version = base.version + 1;
  const fieldVersions = fieldVersionsAfter(base.fieldVersions, changedFields, version);
  const revision = await tx.profileRevision.create({
    data: {
      userId: input.userId,
      version,
      source: input.source,
      sourceAccountId: input.sourceAccountId ?? null,
      ...snapshot,
      changedFields,
      fieldVersions,
    },
  });

  const drafts = buildDeliveries({
    snapshot,
    changedFields,
    sourceAccountId: input.sourceAccountId ?? null,
    targets: await loadTargets(tx, input.userId),
  });
  await tx.delivery.createMany({
    data: drafts.map((draft) => ({
      revisionId: revision.id,
      userId: input.userId,
      linkedAccountId: draft.accountId,
      networkId: draft.networkId,
      version,
      fields: draft.fields,
      state: draft.isSkipped ? ("SKIPPED" as const) : ("QUEUED" as const),
      settings: draft.settings,
      skipped: draft.skipped as object[],
      warnings: draft.warnings as object[],
    })),
  });
  await markDirty(
    tx,
    drafts.filter((draft) => !draft.isSkipped).map((draft) => ({ userId: input.userId, accountId: draft.accountId })),
  );
  await notifyActivity(tx, input.userId);
  await wakeWorkers(tx);
  return { revisionId: revision.id, version, changedFields, fieldVersions, deliveries: drafts.length };
}

export async function updateProfile(
  db: TDb,
  input: { userId: string; changes: TProfileChanges; source: string; sourceAccountId?: string | null },
): Promise<TUpdateResult | null> {
  return db.$transaction((tx) => recordProfileChange(tx, input));
}
