"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { DeliveryStateBadge } from "../../../../_components/delivery-state";
import { FIELD_NAMES } from "../../../../_components/mapping-notes";
import { useTRPC } from "../../../../_components/trpc-provider";
import { Alert, Button, Card, LoadFailed, PageHeader } from "../../../../_components/ui";
import { AuditList } from "../../_components/audit-list";
import { ReasonDialog } from "../../_components/reason-dialog";

type TDetail = inferRouterOutputs<AppRouter>["admin"]["user"];
type TAccount = TDetail["accounts"][number];

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STATUS_LABELS: Record<TAccount["status"], string> = {
  active: "Active",
  needs_reauth: "Needs re-auth",
  paused: "Paused by support",
  disabled: "Network off",
};
const OPEN_STATES = new Set(["QUEUED", "SENDING", "RETRYING"]);

/** The action waiting for its reason. */
type TPending =
  | { kind: "retryDelivery"; deliveryId: string; label: string }
  | { kind: "retryFailed"; count: number }
  | { kind: "pause" | "resume" | "resend"; account: TAccount };

function describe(pending: TPending): { title: string; description: string; confirm: string } {
  switch (pending.kind) {
    case "retryDelivery":
      return {
        title: `Retry the delivery to ${pending.label}?`,
        description: "The account is sent the person's current profile now, with a fresh set of attempts.",
        confirm: "Retry",
      };
    case "retryFailed":
      return {
        title: `Retry all ${pending.count} failed deliveries?`,
        description: "Every account with a failed delivery that can be sent to now gets the current profile.",
        confirm: "Retry all",
      };
    case "pause":
      return {
        title: `Pause ${pending.account.networkName} ${pending.account.login}?`,
        description:
          "Nothing is sent to this account until support resumes it; changes made in it are recorded, not passed on. The person sees “Paused by support” and cannot resume it.",
        confirm: "Pause",
      };
    case "resume":
      return {
        title: `Resume ${pending.account.networkName} ${pending.account.login}?`,
        description: "The account is read back and sent whatever differs from the current profile.",
        confirm: "Resume",
      };
    case "resend":
      return {
        title: `Resend the profile to ${pending.account.networkName} ${pending.account.login}?`,
        description:
          "OneProfile first reads what the account really shows, then sends every field that differs from the current profile.",
        confirm: "Resend",
      };
  }
}

export function UserDetail({ userId }: { userId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery({
    ...trpc.admin.user.queryOptions({ userId }),
    // While a delivery is under way, follow it.
    refetchInterval: (query) =>
      query.state.data?.changes.some((change) => change.deliveries.some((d) => OPEN_STATES.has(d.state)))
        ? 2_000
        : 15_000,
  });
  const [pending, setPending] = useState<TPending | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (message: string) => async () => {
    setPending(null);
    setNotice(message);
    await queryClient.invalidateQueries({ queryKey: trpc.admin.pathKey() });
  };
  const retryDelivery = useMutation(trpc.admin.retryDelivery.mutationOptions());
  const retryFailed = useMutation(trpc.admin.retryFailed.mutationOptions());
  const setPaused = useMutation(trpc.admin.setAccountPaused.mutationOptions());
  const resend = useMutation(trpc.admin.resendProfile.mutationOptions());
  const mutations = [retryDelivery, retryFailed, setPaused, resend];
  const isBusy = mutations.some((mutation) => mutation.isPending);
  const error = mutations.find((mutation) => mutation.isError)?.error?.message ?? null;

  const open = (next: TPending) => {
    for (const mutation of mutations) mutation.reset();
    setNotice(null);
    setPending(next);
  };
  const confirm = (reason: string) => {
    if (!pending) return;
    switch (pending.kind) {
      case "retryDelivery":
        return retryDelivery.mutate(
          { deliveryId: pending.deliveryId, reason },
          { onSuccess: done(`Retrying the delivery to ${pending.label}.`) },
        );
      case "retryFailed":
        return retryFailed.mutate(
          { userId, reason },
          {
            onSuccess: (result) =>
              done(
                `Retrying ${result.accounts} account${result.accounts === 1 ? "" : "s"}.` +
                  result.skipped.map((entry) => ` ${entry.login}: ${entry.why}`).join(""),
              )(),
          },
        );
      case "pause":
      case "resume":
        return setPaused.mutate(
          { accountId: pending.account.id, isPaused: pending.kind === "pause", reason },
          {
            onSuccess: done(
              `${pending.account.networkName} ${pending.account.login} is ${pending.kind === "pause" ? "paused" : "resumed"}.`,
            ),
          },
        );
      case "resend":
        return resend.mutate(
          { accountId: pending.account.id, reason },
          { onSuccess: done(`Reading ${pending.account.networkName} back, then sending what differs.`) },
        );
    }
  };

  if (detail.isPending) return <p className="text-sm text-slate-500">Loading this person…</p>;
  if (detail.isError) return <LoadFailed message={detail.error.message} onRetry={() => void detail.refetch()} />;
  const { user, accounts, changes, audit } = detail.data;
  const failedCount = accounts.reduce((sum, account) => sum + account.failedDeliveries, 0);
  const copy = pending ? describe(pending) : null;

  return (
    <div className="space-y-6">
      <PageHeader
        title={user.email}
        description={`${user.role === "ADMIN" ? "Administrator" : "User"} · joined ${dateTime.format(user.createdAt)}`}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button
          disabled={failedCount === 0 || isBusy}
          onClick={() => open({ kind: "retryFailed", count: failedCount })}
        >
          Retry all failed{failedCount > 0 ? ` (${failedCount})` : ""}
        </Button>
        <Link
          href={`/admin/deliveries?user=${user.id}`}
          className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300"
        >
          All deliveries of this person
        </Link>
        <Link
          href={`/admin/audit?subject=${user.id}`}
          className="text-sm font-medium text-indigo-700 hover:underline dark:text-indigo-300"
        >
          Audit log for this person
        </Link>
      </div>
      {notice && <Alert tone="info">{notice}</Alert>}

      <Card>
        <h2 className="mb-3 font-semibold">Linked accounts</h2>
        {accounts.length === 0 ? (
          <p className="text-sm text-slate-500">No linked accounts.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="admin-accounts">
              <thead className="text-slate-500">
                <tr>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Account
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Status
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Syncs
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Last delivered
                  </th>
                  <th scope="col" className="py-2 pr-3 text-right font-medium">
                    Failures in a row
                  </th>
                  <th scope="col" className="py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {accounts.map((account) => (
                  <tr key={account.id} data-testid={`admin-account-${account.networkId}`}>
                    <td className="py-2 pr-3">
                      <span className="font-medium">{account.networkName}</span>{" "}
                      <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{account.login}</span>
                    </td>
                    <td className="py-2 pr-3 whitespace-nowrap">{STATUS_LABELS[account.status]}</td>
                    <td className="py-2 pr-3">
                      {(Object.keys(account.sync) as Array<keyof typeof account.sync>)
                        .filter((field) => account.sync[field])
                        .map((field) => FIELD_NAMES[field])
                        .join(", ") || "nothing"}
                    </td>
                    <td className="py-2 pr-3 whitespace-nowrap">
                      {account.lastDeliveredAt ? dateTime.format(account.lastDeliveredAt) : "never"}
                    </td>
                    <td className="py-2 pr-3 text-right tabular-nums">{account.consecutiveFailures}</td>
                    <td className="py-2">
                      <div className="flex justify-end gap-2">
                        <Button
                          variant="secondary"
                          className="px-3 py-1"
                          disabled={isBusy}
                          onClick={() => open({ kind: account.isPaused ? "resume" : "pause", account })}
                        >
                          {account.isPaused ? "Resume" : "Pause"}
                        </Button>
                        <Button
                          variant="secondary"
                          className="px-3 py-1"
                          disabled={isBusy || account.status !== "active"}
                          onClick={() => open({ kind: "resend", account })}
                        >
                          Resend profile
                        </Button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card>
        <h2 className="mb-3 font-semibold">Recent changes</h2>
        {changes.length === 0 ? (
          <p className="text-sm text-slate-500">No changes yet.</p>
        ) : (
          <ol className="space-y-4">
            {changes.map((change) => (
              <li key={change.id} className="border-b border-slate-200 pb-3 last:border-0 dark:border-slate-800">
                <p className="text-sm">
                  <span className="font-medium">
                    {change.changedFields.map((field) => FIELD_NAMES[field]).join(", ") || "No field"}
                  </span>{" "}
                  <span className="text-slate-600 dark:text-slate-400">
                    changed {change.source === "portal" ? "in OneProfile" : `inside ${change.source}`} ·{" "}
                    {dateTime.format(change.createdAt)} · version {change.version}
                  </span>
                </p>
                {change.deliveries.length > 0 && (
                  <ul className="mt-2 space-y-1">
                    {change.deliveries.map((delivery) => (
                      <li
                        key={delivery.id}
                        className="flex flex-wrap items-center gap-2 text-sm"
                        data-testid={`admin-delivery-${delivery.networkId}`}
                      >
                        <span className="font-medium">{delivery.networkName}</span>
                        <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{delivery.login}</span>
                        <DeliveryStateBadge state={delivery.state} />
                        <span className="text-xs text-slate-600 dark:text-slate-400">
                          {delivery.attempts} attempt{delivery.attempts === 1 ? "" : "s"}
                        </span>
                        {delivery.lastError && (
                          <span className="text-slate-700 dark:text-slate-300" data-testid="vendor-message">
                            {delivery.lastError}
                          </span>
                        )}
                        {delivery.state === "FAILED" && (
                          <Button
                            variant="secondary"
                            className="ml-auto px-3 py-1"
                            disabled={isBusy}
                            onClick={() =>
                              open({
                                kind: "retryDelivery",
                                deliveryId: delivery.id,
                                label: `${delivery.networkName} ${delivery.login}`,
                              })
                            }
                          >
                            Retry
                          </Button>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        )}
      </Card>

      <Card>
        <h2 className="mb-3 font-semibold">What support and the person did</h2>
        <AuditList rows={audit} />
      </Card>

      <ReasonDialog
        key={pending ? JSON.stringify(pending) : "closed"}
        isOpen={pending !== null}
        title={copy?.title ?? ""}
        description={copy?.description ?? ""}
        confirmLabel={copy?.confirm ?? ""}
        isBusy={isBusy}
        error={error}
        onConfirm={confirm}
        onClose={() => setPending(null)}
      />
    </div>
  );
}
