"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";
import { moodLabel } from "@/server/sync/moods";
import { describeTRPCError } from "../../_components/form-errors";
import { FIELD_NAMES, MappingNotes } from "../../_components/mapping-notes";
import { useTRPC } from "../../_components/trpc-provider";
import { Button, Card, cx, EmptyState, LoadFailed } from "../../_components/ui";

type TUpdate = inferRouterOutputs<AppRouter>["activity"]["list"][number];
type TDelivery = TUpdate["deliveries"][number];

const SOURCE_NAMES: Record<string, string> = { portal: "in OneProfile" };
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const STATES: Record<TDelivery["state"], { label: string; className: string }> = {
  QUEUED: { label: "Queued", className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300" },
  SENDING: { label: "Sending", className: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300" },
  DELIVERED: {
    label: "Delivered",
    className: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  },
  RETRYING: { label: "Will retry", className: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300" },
  FAILED: { label: "Failed", className: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300" },
  SKIPPED: { label: "Skipped", className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300" },
  SUPERSEDED: { label: "Superseded", className: "bg-slate-200 text-slate-600 dark:bg-slate-800 dark:text-slate-400" },
};

export function ActivityFeed() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const activity = useQuery({ ...trpc.activity.list.queryOptions({ limit: 20 }), refetchInterval: 30_000 });
  // Postgres NOTIFY → server-sent event → refetch: the page follows deliveries as they happen.
  useSubscription(
    trpc.activity.onChange.subscriptionOptions(undefined, {
      onData: () => void queryClient.invalidateQueries({ queryKey: trpc.activity.list.queryKey() }),
    }),
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
        <li key={update.id}>
          <UpdateCard update={update} />
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

function UpdateCard({ update }: { update: TUpdate }) {
  const counted = update.deliveries.filter((d) => d.state !== "SUPERSEDED" && d.state !== "SKIPPED");
  const delivered = counted.filter((d) => d.state === "DELIVERED").length;
  const source =
    SOURCE_NAMES[update.source] ??
    `inside ${update.source.toUpperCase()}${update.sourceLogin ? ` (${update.sourceLogin})` : ""}`;
  return (
    <Card className="space-y-3 p-5">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1" data-testid={`update-${update.version}`}>
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
            <DeliveryRow key={delivery.id} delivery={delivery} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function DeliveryRow({ delivery }: { delivery: TDelivery }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retry = useMutation(
    trpc.activity.retry.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.activity.list.queryKey() }),
    }),
  );
  const state = STATES[delivery.state];
  let detail: string | null = null;
  if (delivery.state === "RETRYING")
    detail = `${delivery.lastError ?? "Failed"} — next try at ${time.format(delivery.nextAttemptAt)}`;
  else if (delivery.state === "FAILED") detail = delivery.lastError ?? "The network refused it.";
  else if (delivery.state === "SKIPPED")
    detail = delivery.lastError ?? `${delivery.networkName} supports none of these fields.`;
  else if (delivery.state === "SUPERSEDED") detail = "A newer change replaced it.";
  else if (delivery.state === "DELIVERED" && delivery.deliveredAt) detail = `at ${time.format(delivery.deliveredAt)}`;
  return (
    <li className="py-2" data-testid={`delivery-${delivery.networkId}`}>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium">{delivery.networkName}</span>
        <span className="font-mono text-xs text-slate-500">{delivery.login}</span>
        <span className={cx("rounded-full px-2 py-0.5 text-xs font-medium", state.className)} data-testid="state">
          {state.label}
        </span>
        {detail && <span className="text-slate-600 dark:text-slate-400">{detail}</span>}
        {delivery.state === "FAILED" && (
          <Button
            variant="secondary"
            className="ml-auto px-3 py-1"
            isBusy={retry.isPending}
            onClick={() => retry.mutate({ deliveryId: delivery.id })}
          >
            Retry
          </Button>
        )}
      </div>
      <MappingNotes warnings={delivery.warnings} skipped={delivery.skipped} />
      {retry.isError && (
        <p role="alert" className="mt-1 text-sm text-red-600">
          {describeTRPCError(retry.error).message}
        </p>
      )}
    </li>
  );
}
