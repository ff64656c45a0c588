"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../../../_components/trpc-provider";
import { Card, LoadFailed } from "../../../_components/ui";
import { ReasonDialog } from "../_components/reason-dialog";

type TNetwork = inferRouterOutputs<AppRouter>["admin"]["networks"][number];

/** What a network accepts, in a line. */
function capabilitiesOf({ capabilities }: TNetwork): string {
  const parts: string[] = [];
  if (capabilities.avatar)
    parts.push(
      `avatar ${capabilities.avatar.formats.join("/")} ${capabilities.avatar.minPx}–${capabilities.avatar.maxPx} px`,
    );
  if (capabilities.displayName) parts.push(`name ≤ ${capabilities.displayName.maxGraphemes}`);
  if (capabilities.signature) parts.push(`signature ≤ ${capabilities.signature.maxGraphemes}`);
  if (capabilities.mood) parts.push(`${capabilities.mood.vocabulary.length} moods`);
  return parts.join(" · ") || "nothing yet";
}

function Figure({ label, value, href, tone }: { label: string; value: number; href?: string; tone?: "bad" }) {
  const text = (
    <span className={value > 0 && tone === "bad" ? "font-semibold text-red-700 dark:text-red-300" : undefined}>
      {value}
    </span>
  );
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="tabular-nums">
        {href && value > 0 ? (
          <Link href={href} className="hover:underline">
            {text}
          </Link>
        ) : (
          text
        )}
      </dd>
    </div>
  );
}

/** Admins switch networks on and off (off: no new links, no syncing) and see how each one is doing. */
export function NetworkSwitches() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const networks = useQuery({ ...trpc.admin.networks.queryOptions(), refetchInterval: 10_000 });
  const [pending, setPending] = useState<{ networkId: string; name: string; isEnabled: boolean } | null>(null);
  const setEnabled = useMutation(
    trpc.admin.setNetworkEnabled.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await queryClient.invalidateQueries({ queryKey: trpc.admin.pathKey() });
      },
    }),
  );
  if (networks.isPending) return <p className="text-sm text-slate-500">Loading networks…</p>;
  if (networks.isError) return <LoadFailed message={networks.error.message} onRetry={() => void networks.refetch()} />;
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {networks.data.map((network) => (
        <Card key={network.id} className="space-y-3">
          <div className="flex items-center gap-3" data-testid={`admin-network-${network.id}`}>
            <h2 className="flex-1 font-semibold">{network.displayName}</h2>
            <span className="text-xs text-slate-600 dark:text-slate-400">
              {network.hasConnector ? "connector registered" : "coming soon"}
            </span>
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                role="switch"
                className="size-4 accent-indigo-600"
                checked={network.isEnabled}
                disabled={setEnabled.isPending}
                onChange={(event) => {
                  setEnabled.reset();
                  setPending({ networkId: network.id, name: network.displayName, isEnabled: event.target.checked });
                }}
              />
              <span className="sr-only">{network.displayName}</span> Enabled
            </label>
          </div>
          <p className="text-sm text-slate-600 dark:text-slate-400">{capabilitiesOf(network)}</p>
          <p className="text-sm">
            <span className="text-slate-600 dark:text-slate-400">Success, last hour: </span>
            <span className="font-semibold tabular-nums">
              {network.health.successRateLastHour === null
                ? "no deliveries ended"
                : `${(network.health.successRateLastHour * 100).toFixed(1)}% of ${network.health.endedLastHour}`}
            </span>
          </p>
          <dl className="grid grid-cols-3 gap-3 text-sm">
            <Figure label="Linked accounts" value={network.health.linkedAccounts} />
            <Figure
              label="Accounts failing in a row"
              value={network.health.failingAccounts}
              tone="bad"
              href={`/admin/deliveries?network=${network.id}`}
            />
            <Figure label="Retrying jobs" value={network.health.retryingJobs} tone="bad" />
            <Figure label="Quarantined" value={network.health.quarantinedAccounts} tone="bad" />
            <Figure label="Need re-auth" value={network.health.needsReauth} />
            <Figure label="Paused by support" value={network.health.pausedAccounts} />
          </dl>
        </Card>
      ))}
      <ReasonDialog
        key={pending ? `${pending.networkId}-${pending.isEnabled}` : "closed"}
        isOpen={pending !== null}
        title={pending ? `Switch ${pending.name} ${pending.isEnabled ? "on" : "off"}?` : ""}
        description={
          pending?.isEnabled
            ? "Its accounts get the current profile again."
            : "No new links, and nothing is sent to or read from its accounts until it is switched back on."
        }
        confirmLabel={pending?.isEnabled ? "Switch on" : "Switch off"}
        isBusy={setEnabled.isPending}
        error={setEnabled.error?.message ?? null}
        onConfirm={(reason) =>
          pending && setEnabled.mutate({ networkId: pending.networkId, isEnabled: pending.isEnabled, reason })
        }
        onClose={() => setPending(null)}
      />
    </div>
  );
}
