/**
 * One observation of an account — a network's report (webhook) or a read-back — judged and recorded
 * by the one rule of server/sync/state.ts. The observation always feeds the account's observed
 * state, whatever becomes of it (echo, stale, refused, the account inactive, the field not synced).
 * Genuine values — changed inside the network, neither ours nor what it already showed — become one
 * revision with the account as its source, in the same transaction; a value we cannot take (too long,
 * control characters, a mood OneProfile has no word for, an unreadable avatar) stays observed, so the
 * account owes the profile's value and is put back. The connector parses the vendor's payload.
 */
import { ConnectorError, type TNetworkReport, type TVendorProfile } from "../connectors/types";
import type { TTx } from "../db";
import type { Prisma } from "../generated/prisma/client";
import { DomainError } from "../domain-error";
import { adoptRendition, storeOriginalAvatar } from "../profile/avatars";
import { currentSnapshot, recordProfileChange, type TProfileChanges } from "../profile/update";
import { syncOf } from "../registration/accounts";
import { accountNetworkView, supportedFields, type TAccountNetworkView } from "../registration/network-view";
import { moodFromNetwork } from "../sync/map-settings";
import { decideAfterFailure } from "../sync/retry-policy";
import {
  hashesOf,
  judgeReport,
  observe,
  PROFILE_FIELDS,
  PROFILE_LIMITS,
  WRITE_KEY_PREFIX,
  ZObserved,
  ZUnconfirmedWrite,
  type TFieldHashes,
  type TMoodTake,
  type TObservation,
  type TProfileField,
  type TReportVerdict,
} from "../sync/state";
import { normalizeDisplayName, profileTextProblem, quoteForNote } from "../sync/text";
import { desiredForAccount, lockObserved, settleDeliveries, writeObserved } from "./account-state";
import type { TJobDeps, TJobOutcome } from "./define-job";
import { markDirty, type TClaimedJob } from "./queue";
import { isAccountActive } from "../sync/account-status";

/** A linked account's row with its network's. */
export type TAccountRow = Prisma.LinkedAccountGetPayload<{ include: { network: true } }>;

/** What an observation came to, for its event's record (or the read-back's log). */
export interface TObservationNote {
  outcome: string;
  note: string;
}
export type TObservationRecord = (tx: TTx) => Promise<TObservationNote>;

/** A vendor's profile (verify, read) as a report of every field, in the network's own words. */
export function reportOfProfile(login: string, profile: TVendorProfile): TNetworkReport {
  // A field the account cannot show (its server said so) is not reported: its empty value is no news.
  const supported = profile.capabilities ? supportedFields(profile.capabilities) : null;
  return {
    login,
    fields: PROFILE_FIELDS.filter((field) => supported?.[field] ?? true),
    values: {
      displayName: profile.displayName ?? "",
      signature: profile.signature ?? "",
      mood: profile.mood,
      moodText: profile.moodText ?? "",
      avatar: profile.avatar,
    },
    mark: profile.mark,
    ...(profile.fieldMarks ? { fieldMarks: profile.fieldMarks } : {}),
    writeKey: null,
    isWriterKnown: false,
  };
}

/** The hash of each reported field, as `hashesOf` hashes what we send. */
export function reportHashes(report: TNetworkReport): TFieldHashes {
  const { values, fields } = report;
  return hashesOf({
    ...(fields.includes("displayName") ? { displayName: values.displayName ?? "" } : {}),
    ...(fields.includes("signature") ? { signature: values.signature ?? "" } : {}),
    ...(fields.includes("mood") ? { mood: values.mood ?? null, moodText: values.moodText ?? "" } : {}),
    ...(fields.includes("avatar") ? { avatarSha256: values.avatar?.sha256 ?? null } : {}),
  });
}

interface TAccepted {
  changes: TProfileChanges;
  accepted: TProfileField[];
  refused: Array<{ field: TProfileField; reason: string }>;
}

/** Fetches an avatar a network reported, through the account's client. */
export type TAvatarDownload = (url: string, signal: AbortSignal) => Promise<Buffer>;

/** The genuine fields' values in OneProfile's vocabulary; the avatar is downloaded and stored. */
async function acceptValues(
  context: { db: TJobDeps["db"]; download: TAvatarDownload; network: TAccountNetworkView; signal: AbortSignal },
  report: TNetworkReport,
  fields: readonly TProfileField[],
  mood: TMoodTake,
): Promise<TAccepted> {
  const result: TAccepted = { changes: {}, accepted: [], refused: [] };
  const refuse = (field: TProfileField, reason: string) => result.refused.push({ field, reason });
  const { values } = report;
  for (const field of fields) {
    if (field === "displayName") {
      // The portal's rule: trimmed, and empty means no display name (the networks keep theirs).
      const value = normalizeDisplayName(values.displayName ?? "");
      const problem = profileTextProblem("Display name", value, PROFILE_LIMITS.displayName);
      if (problem) refuse(field, problem);
      else result.changes.displayName = value;
    } else if (field === "signature") {
      const value = values.signature ?? "";
      const problem = profileTextProblem("Signature", value, PROFILE_LIMITS.signature);
      if (problem) refuse(field, problem);
      else result.changes.signature = value;
    } else if (field === "mood") {
      // Only the parts that changed there: a network without mood text never clears ours.
      const capability = context.network.capabilities.mood;
      const word = values.mood ?? null;
      const moodId = word === null ? null : capability ? moodFromNetwork(word, capability) : null;
      const moodText = values.moodText ?? "";
      const problem =
        mood.word && word !== null && moodId === null
          ? `Mood “${quoteForNote(word, 40)}” has no equivalent in OneProfile`
          : mood.text
            ? profileTextProblem("Mood text", moodText, PROFILE_LIMITS.moodText)
            : null;
      if (problem) refuse(field, problem);
      else {
        if (mood.word) result.changes.mood = moodId;
        if (mood.text) result.changes.moodText = moodText;
      }
    } else if (field === "avatar") {
      if (!values.avatar) {
        result.changes.avatarSha256 = null;
      } else {
        try {
          const bytes = await context.download(values.avatar.url, context.signal);
          const original = await storeOriginalAvatar(context.db, bytes);
          // What the network shows is its rendition of the original: it is not sent its own picture back.
          await adoptRendition(context.db, {
            sourceSha256: original,
            renditionKey: context.network.renditionKey,
            bytes,
          });
          result.changes.avatarSha256 = original;
        } catch (error) {
          // A download that may work later is retried (the job's attempts are bounded).
          if (error instanceof ConnectorError && error.isRetriable) throw error;
          if (!(error instanceof ConnectorError) && !(error instanceof DomainError)) throw error;
          refuse(field, `Avatar not taken: ${error.message}`);
          continue;
        }
      }
    }
    if (!result.refused.some((entry) => entry.field === field)) result.accepted.push(field);
  }
  return result;
}

function describe(verdicts: Partial<Record<TProfileField, TReportVerdict>>, refused: TAccepted["refused"]): string {
  const parts = Object.entries(verdicts).map(([field, verdict]) => `${field}: ${verdict.replace("_", " ")}`);
  for (const entry of refused) parts.push(`${entry.field} refused (${entry.reason})`);
  return parts.join("; ");
}

/** Only the changes of the fields taken (a mood's word and text belong to the mood). */
function changesOf(changes: TProfileChanges, fields: readonly TProfileField[]): TProfileChanges {
  const taken: TProfileChanges = {};
  if (fields.includes("displayName") && changes.displayName !== undefined) taken.displayName = changes.displayName;
  if (fields.includes("signature") && changes.signature !== undefined) taken.signature = changes.signature;
  if (fields.includes("mood")) {
    if (changes.mood !== undefined) taken.mood = changes.mood;
    if (changes.moodText !== undefined) taken.moodText = changes.moodText;
  }
  if (fields.includes("avatar") && changes.avatarSha256 !== undefined) taken.avatarSha256 = changes.avatarSha256;
  return taken;
}

/**
 * Judges one observation of the job's account (`kind`: "report" for what the network told,
 * "answer" for a read-back we asked for) and returns what to record. The outside work (an avatar
 * download) happens here; the record re-reads the account's observed state under its row lock.
 */
export async function judgeObservation(
  deps: TJobDeps,
  input: {
    job: TClaimedJob;
    account: TAccountRow;
    /** Fetches an avatar the observation names, through the account's client. */
    download: TAvatarDownload;
    report: TNetworkReport;
    kind: "report" | "answer";
    signal: AbortSignal;
  },
): Promise<TJobOutcome<TObservationRecord>> {
  const { db } = deps;
  const { job, account } = input;
  const network = accountNetworkView(account);
  // An account that can show less than its network (its own capabilities): what it reports for a
  // field it cannot show (a watch event sent before a read-back noticed) is no change made there.
  const ownSupport = account.capabilities === null ? null : supportedFields(network.capabilities);
  const report = ownSupport
    ? { ...input.report, fields: input.report.fields.filter((field) => ownSupport[field]) }
    : input.report;
  const isActive = isAccountActive({ ...account, network });
  const sync = syncOf(account);
  const hashes = reportHashes(report);
  const desired = await desiredForAccount(db, { network }, await currentSnapshot(db, account.userId));
  const observation: TObservation = {
    kind: input.kind,
    hashes,
    marks: Object.fromEntries(report.fields.map((field) => [field, report.fieldMarks?.[field] ?? report.mark])),
  };
  const before = ZObserved.parse(account.observed);
  const firstLook = observe(before, observation, desired.fields);
  // Any OneProfile write is ours, whichever link made it: a write of this login's earlier link (or of
  // another person's, before they unlinked it) that lands or is reported after a re-link is no
  // change made there. Its value is observed, and what differs from the profile is owed.
  const isOurWrite = report.writeKey?.startsWith(WRITE_KEY_PREFIX) ? true : report.isWriterKnown ? false : null;
  const { verdicts, mood } = judgeReport({
    before,
    result: firstLook,
    hashes,
    desired: desired.fields,
    pendingWrite: account.pendingWrite === null ? null : ZUnconfirmedWrite.parse(account.pendingWrite).hashes,
    isOurWrite,
    sync,
    hasMoodText: (network.capabilities.mood?.maxTextGraphemes ?? 0) > 0,
  });
  const genuine = isActive ? report.fields.filter((field) => verdicts[field] === "genuine") : [];

  let values: TAccepted = { changes: {}, accepted: [], refused: [] };
  let deadReason: string | null = null;
  try {
    values = await acceptValues({ db, download: input.download, network, signal: input.signal }, report, genuine, mood);
  } catch (error) {
    const failure =
      error instanceof ConnectorError ? error : new ConnectorError("transient", "The change could not be read.");
    const decision = decideAfterFailure(failure, job.attempts, { baseDelayMs: deps.retryBaseMs });
    if (decision.action === "retry") {
      return { end: { state: "retry", delayMs: decision.delayMs, error: failure.message } };
    }
    // Given up: the network shows a value we never took; observed as it is, it is owed the profile's.
    deadReason = `Gave up after ${job.attempts} attempts: ${failure.message}`;
  }

  return {
    end: deadReason === null ? { state: "done" } : { state: "dead", error: deadReason },
    result: async (tx) => {
      // Only this account's jobs observe it, one at a time (the lease); the row lock keeps a
      // concurrent re-link from being overwritten by a stale read.
      const seen = observe(await lockObserved(tx, account.id), observation, desired.fields);
      const taken = seen.isReset ? [] : values.accepted.filter((field) => seen.fresh.includes(field));
      const revision =
        taken.length > 0
          ? await recordProfileChange(tx, {
              userId: account.userId,
              changes: changesOf(values.changes, taken),
              source: account.networkId,
              sourceAccountId: account.id,
            })
          : null;
      const observed = seen.observed;
      for (const field of revision?.changedFields ?? []) {
        const shown = observed[field];
        if (shown && taken.includes(field)) observed[field] = { ...shown, v: revision!.fieldVersions[field] ?? 0 };
      }
      await writeObserved(tx, new Map([[account.id, observed]]), { isConfirmedWrite: false });
      await settleDeliveries(tx, new Map([[account.id, observed]]));
      // Whatever it now shows that differs from the profile (a value not taken, a reset, a mood taken
      // in part) is owed: its sync job sends what differs, if anything.
      const isBehind =
        seen.isReset ||
        seen.fresh.some((field) => {
          const isTakenWhole = revision !== null && taken.includes(field) && field !== "mood";
          return !isTakenWhole && observed[field]?.h !== desired.fields[field].hash;
        });
      if (isActive && isBehind) await markDirty(tx, [{ userId: account.userId, accountId: account.id }]);
      const shownVerdicts = isActive
        ? verdicts
        : Object.fromEntries(
            Object.entries(verdicts).map(([field, verdict]) => [field, verdict === "genuine" ? "ignored" : verdict]),
          );
      const note = describe(shownVerdicts as typeof verdicts, values.refused);
      if (deadReason !== null) return { outcome: "dead", note: `${deadReason} (${note})` };
      if (revision) return { outcome: "update", note };
      if (values.refused.length > 0) return { outcome: "rejected", note };
      if (!isActive && genuine.length === 0 && Object.values(verdicts).includes("genuine")) {
        return {
          outcome: "ignored",
          note: `The account is not active; it gets the current profile when it is again. ${note}`,
        };
      }
      const outcome =
        (["reset", "echo", "stale", "unchanged", "not_synced"] as const).find((verdict) =>
          Object.values(verdicts).includes(verdict),
        ) ?? "unchanged";
      return { outcome: outcome === "not_synced" ? "ignored" : outcome, note };
    },
  };
}
