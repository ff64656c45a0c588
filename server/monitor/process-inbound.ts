/**
 * Turning a recorded network change into a profile update (the monitor's half of the flow):
 * our own echo is recognised and goes nowhere; a real change made inside the network becomes
 * a revision that fans out to every other account.
 */
import type { TDb } from "../db";
import { logError } from "../log";
import { storeOriginalAvatar } from "../profile/avatars";
import { updateProfile, type TProfileChanges } from "../profile/update";
import { toNetworkView } from "../registration/networks";
import { appliedHashes, isEcho, type TAppliedHashes } from "../sync/echo";
import { moodFromNetwork } from "../sync/map-settings";

interface TVendorEvent {
  changed: string[];
  profile: {
    displayName?: string;
    signature?: string;
    mood?: string | null;
    moodText?: string;
    avatar?: { sha256: string; url: string } | null;
  };
}

async function downloadAvatar(url: string): Promise<Buffer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`avatar download answered ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

export async function processInboundEvent(db: TDb, eventId: string): Promise<string> {
  const event = await db.inboundEvent.findUniqueOrThrow({
    where: { id: eventId },
    include: { linkedAccount: { include: { network: true } } },
  });
  const done = async (outcome: string) => {
    await db.inboundEvent.update({
      where: { id: eventId },
      data: { processedAt: new Date(), outcome, leaseUntil: null },
    });
    return outcome;
  };
  const account = event.linkedAccount;
  if (!account || !account.network.isEnabled || event.processedAt) return done("ignored");

  const { changed, profile } = event.payload as unknown as TVendorEvent;
  const has = (field: string) => changed.includes(field);
  const reported = appliedHashes({
    ...(has("displayName") ? { displayName: profile.displayName ?? "" } : {}),
    ...(has("signature") ? { signature: profile.signature ?? "" } : {}),
    ...(has("mood") ? { mood: profile.mood ?? null } : {}),
    ...(has("moodText") ? { moodText: profile.moodText ?? "" } : {}),
    ...(has("avatar") ? { avatarSha256: profile.avatar?.sha256 ?? null } : {}),
  });
  if (isEcho(account.lastApplied as TAppliedHashes, reported)) return done("echo");

  const network = toNetworkView(account.network);
  const changes: TProfileChanges = {};
  if (has("displayName") && profile.displayName) changes.displayName = profile.displayName;
  if (has("signature")) changes.signature = profile.signature ?? "";
  if (has("mood") && network.capabilities.mood) {
    const mood = profile.mood ? moodFromNetwork(profile.mood, network.capabilities.mood) : null;
    if (mood !== null || !profile.mood) changes.mood = mood;
  }
  if (has("moodText")) changes.moodText = profile.moodText ?? "";
  if (has("avatar")) {
    changes.avatarSha256 = profile.avatar
      ? await storeOriginalAvatar(db, await downloadAvatar(profile.avatar.url))
      : null;
  }

  const result = await updateProfile(db, {
    userId: account.userId,
    changes,
    source: account.networkId,
    sourceAccountId: account.id,
  });
  // The network holds these values now: remember them, so its own report of them is an echo
  // and no older version is applied there after this one.
  await db.linkedAccount.update({
    where: { id: account.id },
    data: {
      lastApplied: { ...(account.lastApplied as TAppliedHashes), ...reported },
      ...(result ? { lastAppliedVersion: Math.max(account.lastAppliedVersion, result.version) } : {}),
    },
  });
  return done(result ? "update" : "ignored");
}

export async function processInboundEventSafely(db: TDb, eventId: string): Promise<void> {
  try {
    await processInboundEvent(db, eventId);
  } catch (error) {
    // Left unprocessed: its lease runs out and a worker tries again.
    logError(`inbound event ${eventId}`, error);
  }
}
