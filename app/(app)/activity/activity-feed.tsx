"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useId, useRef } from "react";
import type { AppRouter } from "@/server/api/root";
import { moodLabel } from "@/server/sync/moods";
import { DELIVERY_STATES } from "../../_components/delivery-state";
import { describeTRPCError } from "../../_components/form-errors";
import { FIELD_NAMES, MappingNotes } from "../../_components/mapping-notes";
import { useTRPC } from "../../_components/trpc-provider";
import { Button, Card, cx, EmptyState, LoadFailed } from "../../_components/ui";

type TUpdate = inferRouterOutputs<AppRouter>["activity"]["list"][number];
type TDelivery = TUpdate["deliveries"][number];
type TAccountStatus = inferRouterOutputs<AppRouter>["registration"]["accounts"][number]["status"];
/** Each linked account's health by network and login (one account per pair), to say what Retry can do. */
type TAccountStatuses = ReadonlyMap<string, TAccountStatus>;
const accountKey = (networkId: string, login: string) => `${networkId}\u0000${login}`;

const SOURCE_NAMES: Record<string, string> = { portal: "in OneProfile" };
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function ActivityFeed() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const activity = useQuery({ ...trpc.activity.list.queryOptions({ limit: 20 }), refetchInterval: 30_000 });
  // Not waited for: until it is in, a failed entry simply offers Retry.
  const accounts = useQuery(trpc.registration.accounts.queryOptions());
  // Postgres NOTIFY → server-sent event → refetch: the page follows deliveries as they happen.
  useSubscription(
    trpc.activity.onChange.subscriptionOptions(undefined, {
      onData: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.activity.list.queryKey() });
        // A delivery refused for its password also changes the account's health.
        void queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() });
      },
    }),
  );
  const statuses: TAccountStatuses = new Map(
    (accounts.data ?? []).map((account) => [accountKey(account.networkId, account.login), account.status]),
  );

  if (activity.isPending) {
    return (
      <div role="status" className="space-y-4">
        <div className="h-32 animate-pulse rounded-2xl bg-slate-200 dark:bg-slate-800" />
        <span className="sr-only">Loading activity…</span>
      </div>
    );
  }
  if (activity.isError) {
    return <LoadFailed message={activity.error.message} onRetry={() => void activity.refetch()} />;
  }
  if (activity.data.length === 0) {
    return (
      <EmptyState icon="📭" title="No updates yet">
        When you change your profile — here or inside a linked network — each delivery to your other accounts shows up
        here.{" "}
        <Link href="/profile" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
          Edit your profile
        </Link>
      </EmptyState>
    );
  }
  return (
    <ol className="space-y-4" aria-label="Profile updates">
      {activity.data.map((update) => (
        <li key={update.id} data-testid={`update-${update.version}`}>
          <UpdateCard update={update} statuses={statuses} />
        </li>
      ))}
    </ol>
  );
}

function describeChange(update: TUpdate): string {
  return update.changedFields
    .map((field) => {
      const value =
        field === "mood"
          ? update.snapshot.mood
            ? moodLabel(update.snapshot.mood)
            : "none"
          : field === "avatar"
            ? null
            : update.snapshot[field as "displayName" | "signature"];
      return value === null ? FIELD_NAMES[field] : `${FIELD_NAMES[field]}: “${value}”`;
    })
    .join(" · ");
}

function UpdateCard({ update, statuses }: { update: TUpdate; statuses: TAccountStatuses }) {
  const counted = update.deliveries.filter((d) => d.state !== "SUPERSEDED" && d.state !== "SKIPPED");
  const delivered = counted.filter((d) => d.state === "DELIVERED").length;
  const source =
    SOURCE_NAMES[update.source] ??
    `inside ${update.source.toUpperCase()}${update.sourceLogin ? ` (${update.sourceLogin})` : ""}`;
  return (
    <Card className="space-y-3 p-5">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="font-semibold break-words">{describeChange(update)}</h2>
        <p className="text-sm text-slate-500">
          Changed {source} · {dateTime.format(update.createdAt)}
        </p>
      </div>
      {counted.length > 0 && (
        <div className="flex items-center gap-3">
          <div
            className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
            role="progressbar"
            aria-label="Delivered"
            aria-valuemin={0}
            aria-valuemax={counted.length}
            aria-valuenow={delivered}
          >
            <div
              className="h-full bg-emerald-500 transition-all"
              style={{ width: `${(delivered / counted.length) * 100}%` }}
            />
          </div>
          <span className="text-sm text-slate-600 dark:text-slate-300" data-testid="progress">
            {delivered} of {counted.length} delivered
          </span>
        </div>
      )}
      {update.deliveries.length === 0 ? (
        <p className="text-sm text-slate-500">No other linked account takes these fields.</p>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800">
          {update.deliveries.map((delivery) => (
            <DeliveryRow
              key={delivery.id}
              delivery={delivery}
              accountStatus={statuses.get(accountKey(delivery.networkId, delivery.login))}
            />
          ))}
        </ul>
      )}
    </Card>
  );
}

/** What a failed entry offers: Retry, unless the account must be signed in again or is switched off. */
function FailedHelp({
  delivery,
  accountStatus,
  helpId,
}: {
  delivery: TDelivery;
  accountStatus: TAccountStatus | undefined;
  helpId: string;
}) {
  const className = "mt-1 text-sm text-slate-600 dark:text-slate-400";
  if (accountStatus === "needs_reauth") {
    return (
      <p id={helpId} className={className}>
        {delivery.networkName} no longer accepts the saved password.{" "}
        <Link href="/accounts" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
          Enter the new password on Accounts
        </Link>
        ; this account then gets your current profile by itself.
      </p>
    );
  }
  if (accountStatus === "paused") {
    return (
      <p id={helpId} className={className}>
        OneProfile support has paused syncing to this account; it gets your current profile when support resumes it.
      </p>
    );
  }
  if (accountStatus === "disabled") {
    return (
      <p id={helpId} className={className}>
        {delivery.networkName} is switched off by OneProfile at the moment; this account gets your current profile when
        it is switched back on.
      </p>
    );
  }
  return (
    <p id={helpId} className={className}>
      Retry sends {delivery.networkName} your current profile now, with a fresh set of attempts.
    </p>
  );
}

function DeliveryRow({ delivery, accountStatus }: { delivery: TDelivery; accountStatus: TAccountStatus | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const helpId = useId();
  // Retry's button goes once the entry is queued again; focus stays on the row rather than falling to the page.
  const rowRef = useRef<HTMLLIElement>(null);
  const retry = useMutation(
    trpc.activity.retry.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.activity.list.queryKey() }),
    }),
  );
  const state = DELIVERY_STATES[delivery.state];
  const isFailed = delivery.state === "FAILED";
  const canRetry = isFailed && accountStatus === "active";
  let detail: string | null = null;
  if (delivery.state === "RETRYING")
    detail = `${delivery.lastError ?? "Failed"} — next try at ${time.format(delivery.nextAttemptAt)}`;
  else if (isFailed) detail = delivery.lastError ?? "The network refused it.";
  else if (delivery.state === "SKIPPED")
    detail = delivery.lastError ?? `${delivery.networkName} supports none of these fields.`;
  else if (delivery.state === "SUPERSEDED") detail = "A later change of the same fields reached this account first.";
  else if (delivery.state === "DELIVERED" && delivery.deliveredAt) detail = `at ${time.format(delivery.deliveredAt)}`;
  return (
    <li
      ref={rowRef}
      tabIndex={-1}
      className="rounded py-2 outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      data-testid={`delivery-${delivery.networkId}`}
    >
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">{delivery.networkName}</span>
        <span className="font-mono text-xs text-slate-500">{delivery.login}</span>
        <span className={cx("rounded-full px-2 py-0.5 text-xs font-medium", state.className)} data-testid="state">
          {state.label}
        </span>
        {detail && (
          <span className="text-slate-600 dark:text-slate-400" data-testid="detail">
            {detail}
          </span>
        )}
        {canRetry && (
          <Button
            variant="secondary"
            className="ml-auto px-3 py-1"
            isBusy={retry.isPending}
            aria-describedby={helpId}
            onClick={() => retry.mutate({ deliveryId: delivery.id }, { onSuccess: () => rowRef.current?.focus() })}
          >
            Retry
          </Button>
        )}
      </div>
      {isFailed && <FailedHelp delivery={delivery} accountStatus={accountStatus} helpId={helpId} />}
      <MappingNotes warnings={delivery.warnings} skipped={delivery.skipped} />
      {retry.isSuccess && ["QUEUED", "SENDING", "RETRYING"].includes(delivery.state) && (
        <p role="status" className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Retried: {delivery.networkName} is being sent your current profile.
        </p>
      )}
      {retry.isError && (
        <p role="alert" className="mt-1 text-sm text-red-600">
          {describeTRPCError(retry.error).message}
        </p>
      )}
    </li>
  );
}
