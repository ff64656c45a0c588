"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "../../../../_components/trpc-provider";
import { Alert, Button, Card, LoadFailed, PageHeader } from "../../../../_components/ui";
import { AuditList } from "../../_components/audit-list";
import { ReasonDialog } from "../../_components/reason-dialog";
import { AccountsTable } from "./accounts-table";
import { ChangeList } from "./change-list";
import { describeAction, type TPending } from "./user-actions";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const OPEN_STATES = new Set(["QUEUED", "SENDING", "RETRYING"]);

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
  const copy = pending ? describeAction(pending) : null;

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

      <AccountsTable accounts={accounts} isBusy={isBusy} onAction={open} />
      <ChangeList
        changes={changes}
        networkNames={new Map(accounts.map((account) => [account.networkId, account.networkName]))}
        isBusy={isBusy}
        onAction={open}
      />
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
