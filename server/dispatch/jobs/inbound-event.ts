/**
 * The monitor's report of a change inside network B (patent: a profile update message from the
 * monitor module). The connector parses and checks the vendor's payload; the account's observation
 * is judged and recorded by ../observe-account.ts (server/sync/state.ts's rule), whatever the
 * account's state — an account switched off or needing re-auth still records what it shows, so a
 * later, older report of it is known stale. The event ends with what it came to.
 */
import { ConnectorError, type TNetworkReport } from "../../connectors/types";
import type { TTx } from "../../db";
import { openCredentials } from "../../registration/credentials";
import { judgeObservation, type TObservationNote, type TObservationRecord } from "../observe-account";
import { defineJob, type TJobDeps, type TJobOutcome } from "../define-job";
import { INBOUND_EVENT, markDirty, requestReadBack, type TClaimedJob } from "../queue";

/** Records one event's result: the observation's, then the event's outcome. */
type TInboundResult = (tx: TTx) => Promise<void>;

async function run(deps: TJobDeps, job: TClaimedJob, signal: AbortSignal): Promise<TJobOutcome<TInboundResult>> {
  const { db, connectors } = deps;
  const event = await db.inboundEvent.findUnique({ where: { id: job.key } });
  if (!event || event.processedAt) return { end: { state: "done" } };
  const ended =
    (record: TObservationRecord | undefined, fallback: TObservationNote): TInboundResult =>
    async (tx) => {
      const { outcome, note } = record ? await record(tx) : fallback;
      await tx.inboundEvent.update({ where: { id: event.id }, data: { processedAt: new Date(), outcome, note } });
    };
  const finish = (outcome: string, note: string): TJobOutcome<TInboundResult> => ({
    end: { state: "done" },
    result: ended(undefined, { outcome, note }),
  });

  const account = await db.linkedAccount.findUnique({
    where: { id: job.linkedAccountId },
    include: { network: true },
  });
  if (!account) return finish("ignored", "The account is no longer linked.");
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

  const download = async (url: string, abort: AbortSignal) => {
    let credentials;
    try {
      credentials = openCredentials(deps.keyring, account);
    } catch {
      throw new ConnectorError("permanent", "The saved password could not be read. Link the account again.");
    }
    return deps.clients.clientOf(account, credentials)!.downloadAvatar(url, abort);
  };
  const judged = await judgeObservation(deps, { job, account, download, report, kind: "report", signal });
  return {
    end: judged.end,
    ...(judged.result ? { result: ended(judged.result, { outcome: "unchanged", note: "" }) } : {}),
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
  // Dead-lettered by an error of ours: the event ends with its reason. What the network shows may be
  // a value we never took, so the account is read back (an observation like any other: what differs
  // from the profile is then owed) and marked dirty.
  failed: (job, end) =>
    end.state === "retry"
      ? undefined
      : async (tx) => {
          await tx.inboundEvent.updateMany({
            where: { id: job.key, processedAt: null },
            data: { processedAt: new Date(), outcome: "dead", note: end.error },
          });
          const account = [{ userId: job.userId, accountId: job.linkedAccountId }];
          await markDirty(tx, account);
          await requestReadBack(tx, account);
        },
});
