/**
 * A read-back: the worker asks the vendor what an account shows and treats the answer as an
 * observation (server/sync/state.ts), judged as a report is — a change made there that no report
 * told is taken, a value we did not take is put back — except that an answer with a lower mark than
 * one seen before is a reset (the vendor went back in time): adopted, and whatever then differs is
 * sent. Asked for after a link commits, after a dead-lettered sync revives, when an account is
 * active again, after a poison report, and periodically (each network's interval; networks that
 * can only be polled live on this).
 */
import { isDeepStrictEqual } from "node:util";
import { ConnectorError, type TAccountClient } from "../../connectors/types";
import type { TTx } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import { logger } from "../../log";
import { openCredentials } from "../../registration/credentials";
import { accountNetworkView, ownCapabilities } from "../../registration/network-view";
import { decideAfterFailure } from "../../sync/retry-policy";
import { judgeObservation, reportOfProfile } from "../observe-account";
import { refusedCredentialsOf } from "../clients";
import { defineJob, type TJobDeps, type TJobOutcome } from "../define-job";
import { markDirty, READ_ACCOUNT, type TClaimedJob } from "../queue";
import { isAccountActive } from "../../sync/account-status";

type TReadResult = (tx: TTx) => Promise<void>;

async function run(deps: TJobDeps, job: TClaimedJob, signal: AbortSignal): Promise<TJobOutcome<TReadResult>> {
  const account = await deps.db.linkedAccount.findUnique({
    where: { id: job.linkedAccountId },
    include: { network: true },
  });
  if (!account) return { end: { state: "done" } };
  const network = accountNetworkView(account);
  const connector = deps.connectors(account.networkId);
  // Not active: it is read back when it is again (reopenAccounts asks for it).
  if (!connector || !isAccountActive({ ...account, network })) return { end: { state: "done" } };
  let profile;
  let client: TAccountClient;
  try {
    client = deps.clients.clientOf(account, openCredentials(deps.keyring, account))!;
    profile = await client.read(signal);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    const decision = decideAfterFailure(error, job.attempts, { baseDelayMs: deps.retryBaseMs });
    if (decision.action === "retry")
      return { end: { state: "retry", delayMs: decision.delayMs, error: error.message } };
    if (!decision.isCredentialProblem) return { end: { state: "done" } };
    // The password (an app password revoked, say) is refused: the account needs the person to sign in
    // again, and is not read back, or signed in to, until they do.
    const refused = refusedCredentialsOf(deps.clients, account);
    return {
      end: { state: "done" },
      result: async (tx) => {
        await tx.linkedAccount.updateMany({
          where: { id: account.id, credentials: { in: refused } },
          data: { status: "NEEDS_REAUTH" },
        });
      },
    };
  }
  // What the account can show, as its server tells now (a server that gained or lost a feature).
  const own = ownCapabilities(connector.definition.capabilities, profile.capabilities);
  const isNewCapabilities = !isDeepStrictEqual(own, account.capabilities ?? null);
  const judged = await judgeObservation(deps, {
    job,
    account: isNewCapabilities ? { ...account, capabilities: own as Prisma.JsonValue } : account,
    download: (url, abort) => client.downloadAvatar(url, abort),
    report: reportOfProfile(account.login, profile),
    kind: "answer",
    signal,
  });
  return {
    end: judged.end,
    result: async (tx) => {
      const note = judged.result ? await judged.result(tx) : null;
      if (isNewCapabilities) {
        // The fields it owes follow what it can show: its sync job works them out again.
        await tx.$executeRaw`
          UPDATE linked_accounts SET capabilities = ${own === null ? null : JSON.stringify(own)}::jsonb
          WHERE id = ${account.id}::uuid`;
        await markDirty(tx, [{ userId: account.userId, accountId: account.id }]);
        logger.info({ accountId: account.id, capabilities: own }, "the account's server shows other fields now");
      }
      // What a read-back corrects is worth knowing: it is what no report told.
      if (note && note.outcome !== "unchanged" && note.outcome !== "stale") {
        logger.info({ accountId: account.id, outcome: note.outcome }, "read-back corrected the observed state");
      }
      await tx.$executeRaw`UPDATE linked_accounts SET read_at = now() WHERE id = ${account.id}::uuid`;
    },
  };
}

export const readAccountJob = defineJob<TReadResult>({
  kind: READ_ACCOUNT,
  // A read-back can take a change made inside the network: it records a revision.
  locksUsers: true,
  async plan(deps, jobs) {
    return new Map(jobs.map((job) => [job.id, (signal: AbortSignal) => run(deps, job, signal)]));
  },
  async record(tx, results) {
    for (const { result } of results) await result(tx);
  },
});
