/**
 * Counts recorded sync runs into `oneprofile_deliveries_total` (the worker's `onRecorded`): only
 * outcomes that were recorded count, so a run whose lease was lost (another worker now owns its
 * account and runs it again) is not counted twice.
 *
 * A claimed job does not say which network its account is on; the sync job's plan, which loads
 * the account, notes it (`networkOfJob`, in jobs/sync-account.ts).
 */
import { metrics, type TDeliveryOutcome } from "../metrics";
import type { TFinished, TJobOutcome } from "./define-job";
import { networkOfJob, type TSyncResult } from "./jobs/sync-account";
import { SYNC_ACCOUNT } from "./queue";

/** What a sync run's outcome counts as; null when it settled nothing (its account is gone). */
export function deliveryOutcomeOf(outcome: TJobOutcome): TDeliveryOutcome | null {
  const result = outcome.result as TSyncResult | undefined;
  if (!result) return null;
  if (result.type === "sent") return "delivered";
  if (result.type === "settle") return "settled";
  if (result.type === "refused") return "refused";
  if (outcome.end.state === "retry") return "retry";
  if (outcome.end.state === "dead") return "dead";
  return result.mark.state === "SKIPPED" ? "skipped" : "failed";
}

/** Counts a recorded batch's sync runs by network and outcome. */
export function countRecorded(finished: readonly TFinished[]): void {
  for (const { job, outcome } of finished) {
    if (job.kind !== SYNC_ACCOUNT) continue;
    const counted = deliveryOutcomeOf(outcome);
    if (counted) metrics.deliveries.inc({ network: networkOfJob.get(job) ?? "unknown", outcome: counted });
  }
}
