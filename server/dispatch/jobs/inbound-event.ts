/**
 * The monitor's report of a change inside network B (patent: a profile update message from the
 * monitor module), turned into desired state. The connector parses and checks the vendor's
 * payload; the echo rule (server/sync/state.ts) sorts each field into echo, stale, unchanged or
 * genuine against B's observed state; genuine fields become one revision with source B, in the
 * same transaction that records B's observed state, so B owes nothing for them and every other
 * account that syncs them does. A value we cannot take (too long, control characters, an
 * unreadable avatar) is refused and recorded, and B is sent the portal's value instead, so the
 * event ends and every account still ends on one value.
 */
import { ConnectorError, type TConnector, type TNetworkReport } from "../../connectors/types";
import { DomainError } from "../../domain-error";
import type { TTx } from "../../db";
import { storeOriginalAvatar } from "../../profile/avatars";
import { currentSnapshot, recordProfileChange, type TProfileChanges } from "../../profile/update";
import { toNetworkView, type TNetworkView } from "../../registration/networks";
import { moodFromNetwork } from "../../sync/map-settings";
import { decideAfterFailure } from "../../sync/retry-policy";
import {
  classifyReport,
  forgetVersions,
  hashesOf,
  mergeObserved,
  PROFILE_LIMITS,
  raiseMarks,
  WRITE_KEY_PREFIX,
  ZUnconfirmedWrite,
  ZObserved,
  type TObserved,
  type TProfileField,
  type TReportVerdict,
} from "../../sync/state";
import { normalizeDisplayName, profileTextProblem, quoteForNote } from "../../sync/text";
import { lockObserved } from "../account-state";
import { defineJob, type TJobDeps, type TJobOutcome } from "../define-job";
import { INBOUND_EVENT, markDirty, type TClaimedJob } from "../queue";

interface TAccepted {
  changes: TProfileChanges;
  accepted: TProfileField[];
  refused: Array<{ field: TProfileField; reason: string }>;
}

/** The genuine fields' values in OneProfile's vocabulary; the avatar is downloaded and stored. */
async function acceptValues(
  context: {
    connector: TConnector;
    network: TNetworkView;
    store: (bytes: Buffer) => Promise<string>;
    signal: AbortSignal;
  },
  report: TNetworkReport,
  fields: readonly TProfileField[],
): Promise<TAccepted> {
  const result: TAccepted = { changes: {}, accepted: [], refused: [] };
  const refuse = (field: TProfileField, reason: string) => result.refused.push({ field, reason });
  for (const field of fields) {
    const { values } = report;
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
      const capability = context.network.capabilities.mood;
      const word = values.mood ?? null;
      const mood = word === null ? null : capability ? moodFromNetwork(word, capability) : null;
      const moodText = values.moodText ?? "";
      const problem =
        word !== null && mood === null
          ? `Mood “${quoteForNote(word, 40)}” has no equivalent in OneProfile`
          : profileTextProblem("Mood text", moodText, PROFILE_LIMITS.moodText);
      if (problem) refuse(field, problem);
      else {
        result.changes.mood = mood;
        result.changes.moodText = moodText;
      }
    } else if (field === "avatar") {
      if (!values.avatar) {
        result.changes.avatarSha256 = null;
      } else {
        try {
          const bytes = await context.connector.downloadAvatar(values.avatar.url, context.signal);
          result.changes.avatarSha256 = await context.store(bytes);
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
  const parts = Object.entries(verdicts).map(([field, verdict]) => `${field}: ${verdict}`);
  for (const entry of refused) parts.push(`${entry.field} refused (${entry.reason})`);
  return parts.join("; ");
}

/** Records one event's result: a revision, the account's observed state, the event's outcome. */
type TInboundResult = (tx: TTx) => Promise<void>;

async function run(
  { db, connectors, retryBaseMs }: TJobDeps,
  job: TClaimedJob,
  signal: AbortSignal,
): Promise<TJobOutcome<TInboundResult>> {
  const event = await db.inboundEvent.findUnique({ where: { id: job.key } });
  if (!event || event.processedAt) return { end: { state: "done" } };
  const finish = (outcome: string, note: string): TJobOutcome<TInboundResult> => ({
    end: { state: "done" },
    result: async (tx) => {
      await tx.inboundEvent.update({ where: { id: event.id }, data: { processedAt: new Date(), outcome, note } });
    },
  });

  const account = await db.linkedAccount.findUnique({
    where: { id: job.linkedAccountId },
    include: { network: true },
  });
  if (!account) return finish("ignored", "The account is no longer linked.");
  const network = toNetworkView(account.network);
  if (!network.isEnabled || account.status !== "ACTIVE") {
    return finish("ignored", "The account is not active; it gets the current profile when it is again.");
  }
  const connector = connectors(account.networkId);
  if (!connector) return finish("ignored", "This network has no connector.");

  let report: TNetworkReport;
  try {
    report = connector.parseReport(event.payload);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    return finish("rejected", error.message);
  }
  if (report.login !== account.login) return finish("rejected", "The event names another account.");
  if (report.fields.length === 0) return finish("unchanged", "The event changed no profile field.");

  const hashes = hashesOf({
    ...(report.fields.includes("displayName") ? { displayName: report.values.displayName ?? "" } : {}),
    ...(report.fields.includes("signature") ? { signature: report.values.signature ?? "" } : {}),
    ...(report.fields.includes("mood")
      ? { mood: report.values.mood ?? null, moodText: report.values.moodText ?? "" }
      : {}),
    ...(report.fields.includes("avatar") ? { avatarSha256: report.values.avatar?.sha256 ?? null } : {}),
  });
  const verdictsOf = (observed: TObserved, pending: unknown) =>
    classifyReport({
      observed,
      pendingWrite: pending === null ? null : ZUnconfirmedWrite.parse(pending).hashes,
      report: {
        mark: report.mark,
        isOurWrite: report.writeKey?.startsWith(`${WRITE_KEY_PREFIX}${account.id}:`) ?? false,
        hashes,
      },
    });
  const firstLook = verdictsOf(ZObserved.parse(account.observed), account.pendingWrite);
  const genuine = report.fields.filter((field) => firstLook[field] === "genuine");

  let values: TAccepted;
  try {
    values = await acceptValues(
      { connector, network, store: (bytes) => storeOriginalAvatar(db, bytes), signal },
      report,
      genuine,
    );
  } catch (error) {
    const failure =
      error instanceof ConnectorError ? error : new ConnectorError("transient", "The change could not be read.");
    const decision = decideAfterFailure(failure, job.attempts, { baseDelayMs: retryBaseMs });
    if (decision.action === "retry")
      return { end: { state: "retry", delayMs: decision.delayMs, error: failure.message } };
    const reason = `Gave up after ${job.attempts} attempts: ${failure.message}`;
    return {
      end: { state: "dead", error: reason },
      result: async (tx) => {
        await tx.inboundEvent.update({
          where: { id: event.id },
          data: { processedAt: new Date(), outcome: "dead", note: reason },
        });
        // The network shows a value we never took: send it the portal's, so all end on one value.
        const observed = await lockObserved(tx, account.id);
        const behind: TObserved = {};
        for (const field of genuine) behind[field] = { v: 0, h: hashes[field] ?? null, m: report.mark };
        await tx.$executeRaw`UPDATE linked_accounts SET observed = ${JSON.stringify({ ...observed, ...behind })}::jsonb WHERE id = ${account.id}::uuid`;
        await markDirty(tx, [{ userId: account.userId, accountId: account.id }]);
      },
    };
  }

  return {
    end: { state: "done" },
    result: async (tx) => {
      const result = values.accepted.length
        ? await recordProfileChange(tx, {
            userId: account.userId,
            changes: values.changes,
            source: account.networkId,
            sourceAccountId: account.id,
          })
        : null;
      const desired = result?.fieldVersions ?? (await currentSnapshot(tx, account.userId)).fieldVersions;
      // Only this account's jobs write its observed state, one at a time (the lease); the row
      // lock keeps a concurrent re-link's reset from being overwritten by a stale read.
      const current = await lockObserved(tx, account.id);
      let observed = raiseMarks(
        current,
        report.fields.filter((field) => firstLook[field] !== "genuine"),
        report.mark,
      );
      const shown: TObserved = {};
      for (const field of values.accepted)
        shown[field] = { v: desired[field] ?? 0, h: hashes[field] ?? null, m: report.mark };
      observed = mergeObserved(observed, shown);
      for (const { field } of values.refused) observed[field] = { v: 0, h: hashes[field] ?? null, m: report.mark };
      await tx.$executeRaw`UPDATE linked_accounts SET observed = ${JSON.stringify(observed)}::jsonb, updated_at = now() WHERE id = ${account.id}::uuid`;
      if (values.refused.length > 0) await markDirty(tx, [{ userId: account.userId, accountId: account.id }]);
      const outcome = result
        ? "update"
        : values.refused.length > 0
          ? "rejected"
          : (["echo", "stale", "unchanged"].find((verdict) =>
              Object.values(firstLook).includes(verdict as TReportVerdict),
            ) ?? "unchanged");
      await tx.inboundEvent.update({
        where: { id: event.id },
        data: { processedAt: new Date(), outcome, note: describe(firstLook, values.refused) },
      });
    },
  };
}

export const inboundEventJob = defineJob<TInboundResult>({
  kind: INBOUND_EVENT,
  locksUsers: true,
  // Events are rare next to deliveries, and each is its own work: no batch loading.
  async plan(deps, jobs) {
    return new Map(jobs.map((job) => [job.id, (signal: AbortSignal) => run(deps, job, signal)]));
  },
  async record(tx, results) {
    for (const { result } of results) await result(tx);
  },
  // Dead-lettered by an error of ours: the event ends with its reason; what the network shows
  // may be a value we never took, so the account is sent the current profile again (every field
  // treated as unknown there), and all accounts still end on one value.
  failed: (job, end) =>
    end.state === "retry"
      ? undefined
      : async (tx) => {
          await tx.inboundEvent.updateMany({
            where: { id: job.key, processedAt: null },
            data: { processedAt: new Date(), outcome: "dead", note: end.error },
          });
          const observed = await lockObserved(tx, job.linkedAccountId);
          await tx.$executeRaw`UPDATE linked_accounts SET observed = ${JSON.stringify(forgetVersions(observed))}::jsonb WHERE id = ${job.linkedAccountId}::uuid`;
          await markDirty(tx, [{ userId: job.userId, accountId: job.linkedAccountId }]);
        },
});
