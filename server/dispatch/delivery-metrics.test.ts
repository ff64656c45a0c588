import { describe, expect, it } from "vitest";
import { metrics } from "../metrics";
import type { TFinished } from "./define-job";
import { countRecorded } from "./delivery-metrics";
import { networkOfJob, type TSyncResult } from "./jobs/sync-account";
import { INBOUND_EVENT, SYNC_ACCOUNT, type TClaimedJob } from "./queue";

let next = 0;
function job(kind = SYNC_ACCOUNT, network?: string): TClaimedJob {
  next += 1;
  const claimed: TClaimedJob = {
    id: `job-${next}`,
    kind,
    key: `account-${next}`,
    userId: "user",
    linkedAccountId: `account-${next}`,
    attempts: 1,
    dirtySeq: 1,
    quarantines: 0,
    leaseToken: "lease",
  };
  if (network) networkOfJob.set(claimed, network);
  return claimed;
}

const sent: TSyncResult = {
  type: "sent",
  write: {} as never,
  marks: {},
  isReplay: false,
  plannedVersion: 1,
  desired: {} as never,
};
const open = (state: "RETRYING" | "FAILED" | "SKIPPED"): TSyncResult => ({
  type: "open",
  mark: { state, lastError: "x" },
  isFailure: state !== "SKIPPED",
});

async function count(network: string, outcome: string): Promise<number> {
  const { values } = await metrics.deliveries.get();
  return values.find((value) => value.labels.network === network && value.labels.outcome === outcome)?.value ?? 0;
}

describe("countRecorded", () => {
  it("counts each recorded sync run by its account's network and outcome", async () => {
    const outcomes = ["delivered", "settled", "retry", "dead", "failed", "skipped"];
    const before = await Promise.all(outcomes.map((outcome) => count("msn", outcome)));
    const recorded: TFinished[] = [
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" }, result: sent } },
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" }, result: sent } },
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" }, result: { type: "settle" } } },
      {
        job: job(SYNC_ACCOUNT, "msn"),
        outcome: { end: { state: "retry", delayMs: 10, error: "x" }, result: open("RETRYING") },
      },
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "dead", error: "x" }, result: open("FAILED") } },
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" }, result: open("FAILED") } },
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" }, result: open("SKIPPED") } },
      // Its account was gone: nothing to count. Another kind: not a delivery.
      { job: job(SYNC_ACCOUNT, "msn"), outcome: { end: { state: "done" } } },
      { job: job(INBOUND_EVENT, "msn"), outcome: { end: { state: "done" }, result: {} } },
    ];
    countRecorded(recorded);
    const after = await Promise.all(outcomes.map((outcome) => count("msn", outcome)));
    expect(after.map((value, index) => value - before[index]!)).toEqual([2, 1, 1, 1, 1, 1]);
  });

  it("labels a run its plan did not note as network unknown", async () => {
    const before = await count("unknown", "delivered");
    countRecorded([{ job: job(), outcome: { end: { state: "done" }, result: sent } }]);
    expect(await count("unknown", "delivered")).toBe(before + 1);
  });
});
