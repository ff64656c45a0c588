/**
 * A profile update (patent: the profile update message), from the portal or from a network's
 * monitor. In ONE transaction: the new revision (next version for the user) and one delivery per
 * other linked account that syncs a changed field, superseding older pending deliveries.
 */
import type { TProfileField } from "../connectors/types";
import type { TDb } from "../db";
import { buildDeliveries, type TTargetAccount } from "../sync/build-deliveries";
import type { TProfileSnapshot } from "../sync/map-settings";
import { syncOf } from "../registration/accounts";
import { toNetworkView } from "../registration/networks";
import { renditionFor } from "./avatars";
import { wakeWorkers } from "../dispatch/queue";
import { notifyActivity } from "./notify";

export type TProfileChanges = Partial<TProfileSnapshot>;

export interface TUpdateResult {
  revisionId: string;
  version: number;
  changedFields: TProfileField[];
  deliveries: number;
}

const EMPTY: TProfileSnapshot = { displayName: null, signature: null, mood: null, moodText: null, avatarSha256: null };
const PENDING = ["QUEUED", "RETRYING"] as const;

export async function currentSnapshot(db: Pick<TDb, "profileRevision">, userId: string) {
  const latest = await db.profileRevision.findFirst({ where: { userId }, orderBy: { version: "desc" } });
  const snapshot: TProfileSnapshot = latest
    ? {
        displayName: latest.displayName,
        signature: latest.signature,
        mood: latest.mood,
        moodText: latest.moodText,
        avatarSha256: latest.avatarSha256,
      }
    : EMPTY;
  return { snapshot, version: latest?.version ?? 0 };
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

async function loadTargets(db: TDb, userId: string) {
  const accounts = await db.linkedAccount.findMany({ where: { userId }, include: { network: true } });
  return accounts.map((account) => {
    const network = toNetworkView(account.network);
    return {
      target: {
        id: account.id,
        networkName: network.displayName,
        isNetworkEnabled: network.isEnabled,
        status: account.status,
        sync: syncOf(account),
        capabilities: network.capabilities,
      } satisfies TTargetAccount,
      networkId: account.networkId,
    };
  });
}

export async function updateProfile(
  db: TDb,
  input: { userId: string; changes: TProfileChanges; source: string; sourceAccountId?: string | null },
): Promise<TUpdateResult | null> {
  const before = await currentSnapshot(db, input.userId);
  if (changedFieldsOf(before.snapshot, input.changes).length === 0) return null;

  // Renditions take real work (sharp); make them before the transaction, for every network that
  // may need the avatar the profile will have.
  const avatar = input.changes.avatarSha256 !== undefined ? input.changes.avatarSha256 : before.snapshot.avatarSha256;
  const targets = await loadTargets(db, input.userId);
  const renditions = new Map<string, string>();
  if (avatar) {
    for (const { target, networkId } of targets) {
      if (target.capabilities.avatar) {
        renditions.set(target.id, await renditionFor(db, avatar, networkId, target.capabilities.avatar));
      }
    }
  }

  return db.$transaction(async (tx) => {
    // One writer per user at a time: versions are assigned in the order the database sees them.
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${input.userId}::uuid FOR UPDATE`;
    const { snapshot: base, version: latest } = await currentSnapshot(tx, input.userId);
    const snapshot: TProfileSnapshot = { ...base };
    for (const key of Object.keys(EMPTY) as Array<keyof TProfileSnapshot>) {
      if (input.changes[key] !== undefined) snapshot[key] = input.changes[key] ?? null;
    }
    const changedFields = changedFieldsOf(base, input.changes);
    if (changedFields.length === 0) return null;
    const version = latest + 1;
    const revision = await tx.profileRevision.create({
      data: {
        userId: input.userId,
        version,
        source: input.source,
        sourceAccountId: input.sourceAccountId ?? null,
        ...snapshot,
        changedFields,
      },
    });

    // Older pending deliveries are superseded; their fields travel on in the new ones.
    const pending = await tx.delivery.findMany({
      where: { userId: input.userId, state: { in: [...PENDING] } },
      select: { id: true, linkedAccountId: true, fields: true },
    });
    const carried = new Map<string, TProfileField[]>();
    for (const delivery of pending) {
      const fields = carried.get(delivery.linkedAccountId) ?? [];
      carried.set(delivery.linkedAccountId, [...new Set([...fields, ...(delivery.fields as TProfileField[])])]);
    }
    if (pending.length > 0) {
      await tx.delivery.updateMany({
        where: { id: { in: pending.map((d) => d.id) }, state: { in: [...PENDING] } },
        data: { state: "SUPERSEDED", leaseToken: null, leaseUntil: null },
      });
    }

    const drafts = buildDeliveries({
      snapshot,
      changedFields,
      sourceAccountId: input.sourceAccountId ?? null,
      targets: targets.map((t) => t.target),
      carriedFields: carried,
    });
    await tx.delivery.createMany({
      data: drafts.map((draft) => {
        const { avatarSha256, ...text } = draft.settings;
        const settings =
          avatarSha256 === undefined
            ? text
            : { ...text, avatarSha256: avatarSha256 && renditions.get(draft.accountId) };
        return {
          revisionId: revision.id,
          userId: input.userId,
          linkedAccountId: draft.accountId,
          version,
          fields: draft.fields,
          state: draft.isSkipped ? ("SKIPPED" as const) : ("QUEUED" as const),
          settings,
          skipped: draft.skipped as object[],
          warnings: draft.warnings as object[],
        };
      }),
    });
    await notifyActivity(tx, input.userId);
    await wakeWorkers(tx);
    return { revisionId: revision.id, version, changedFields, deliveries: drafts.length };
  });
}
