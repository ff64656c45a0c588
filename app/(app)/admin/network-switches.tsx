"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Card, LoadFailed } from "../../_components/ui";

/** Admins switch networks on and off: off means no new links and no syncing for its accounts. */
export function NetworkSwitches() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.admin.networks.queryOptions());
  const setEnabled = useMutation(
    trpc.admin.setNetworkEnabled.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.admin.networks.queryKey() }),
    }),
  );
  return (
    <Card>
      <h2 className="mb-3 font-semibold">Networks</h2>
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
                  onChange={(event) => setEnabled.mutate({ networkId: network.id, isEnabled: event.target.checked })}
                />
                <span className="sr-only">{network.displayName}</span> Enabled
              </label>
            </li>
          ))}
        </ul>
      )}
      {setEnabled.isError && <Alert>{setEnabled.error.message}</Alert>}
    </Card>
  );
}
