"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../../_components/trpc-provider";
import { Card, LoadFailed } from "../../../_components/ui";
import { ReasonDialog } from "../_components/reason-dialog";

/** Admins switch networks on and off: off means no new links and no syncing for its accounts. */
export function NetworkSwitches() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.admin.networks.queryOptions());
  const [pending, setPending] = useState<{ networkId: string; name: string; isEnabled: boolean } | null>(null);
  const setEnabled = useMutation(
    trpc.admin.setNetworkEnabled.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await queryClient.invalidateQueries({ queryKey: trpc.admin.pathKey() });
      },
    }),
  );
  return (
    <Card>
      <h2 className="mb-3 font-semibold">Switches</h2>
      {networks.isPending ? (
        <p className="text-sm text-slate-500">Loading networks…</p>
      ) : networks.isError ? (
        <LoadFailed message={networks.error.message} onRetry={() => void networks.refetch()} />
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800">
          {networks.data.map((network) => (
            <li key={network.id} className="flex items-center gap-3 py-2 text-sm">
              <span className="flex-1 font-medium">{network.displayName}</span>
              <span className="text-xs text-slate-500">
                {network.kind === "planned" ? "coming soon" : "sandbox connector"}
              </span>
              <label className="flex items-center gap-2">
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
            </li>
          ))}
        </ul>
      )}
      <ReasonDialog
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
    </Card>
  );
}
