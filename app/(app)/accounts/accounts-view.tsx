"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { describeTRPCError } from "../../_components/form-errors";
import { Modal } from "../../_components/modal";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Button, Card, cx, LoadFailed } from "../../_components/ui";
import { LinkForm, RelinkForm } from "./link-form";

type TOutputs = inferRouterOutputs<AppRouter>["registration"];
export type TNetwork = TOutputs["networks"][number];
export type TAccount = TOutputs["accounts"][number];
/** A link's answer: the account, and what happened first (its profile imported, the portal's sent, nothing). */
export type TLinked = TOutputs["link"];
type TField = keyof TAccount["sync"];

const FIELD_LABELS: Record<TField, string> = {
  avatar: "Avatar",
  displayName: "Display name",
  signature: "Signature",
  mood: "Mood",
};

const STATUS: Record<TAccount["status"], { label: string; className: string }> = {
  active: { label: "Active", className: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" },
  needs_reauth: {
    label: "Needs re-auth",
    className: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300",
  },
  paused: {
    label: "Paused by support",
    className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
  },
  disabled: { label: "Disabled", className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300" },
};

/** A message about what just happened on this page, with where to see its effect. */
interface TNotice {
  title: string;
  detail?: string;
  action?: { href: string; label: string };
}

function linkedNotice({ networkName, login, initialSync }: TLinked): TNotice {
  const title = `${networkName} ${login} is linked.`;
  switch (initialSync) {
    case "imported":
      return {
        title,
        detail: "We imported its profile into OneProfile.",
        action: { href: "/profile", label: "See your profile" },
      };
    case "sent":
      return {
        title,
        detail: "It is being sent your OneProfile profile now.",
        action: { href: "/activity", label: "Watch it on Activity" },
      };
    case "nothing":
      return {
        title,
        detail:
          "Nothing to sync yet: your OneProfile profile is empty and this account had nothing to import. What you save from now on reaches it.",
        action: { href: "/profile", label: "Edit your profile" },
      };
  }
}

function Badge({ className, children }: { className: string; children: string }) {
  return <span className={cx("rounded-full px-2 py-0.5 text-xs font-medium", className)}>{children}</span>;
}

function NetworkMark({ network }: { network: TNetwork }) {
  const initials = network.displayName.replace(/[^A-Za-z0-9]/g, "").slice(0, 2);
  return (
    <span
      aria-hidden
      className="flex size-10 shrink-0 items-center justify-center rounded-xl text-sm font-bold text-white"
      style={{ backgroundColor: network.color }}
    >
      {initials}
    </span>
  );
}

export function AccountsView() {
  const trpc = useTRPC();
  const networks = useQuery(trpc.registration.networks.queryOptions());
  const accounts = useQuery(trpc.registration.accounts.queryOptions());
  const [linking, setLinking] = useState<TNetwork | null>(null);
  const [unlinking, setUnlinking] = useState<TAccount | null>(null);
  const [notice, setNotice] = useState<TNotice | null>(null);

  if (networks.isPending || accounts.isPending) {
    return (
      <div role="status" className="grid gap-4 sm:grid-cols-2">
        {Array.from({ length: 4 }, (_, i) => (
          <div key={i} className="h-40 animate-pulse rounded-2xl bg-slate-200 dark:bg-slate-800" />
        ))}
        <span className="sr-only">Loading your accounts…</span>
      </div>
    );
  }
  if (networks.isError || accounts.isError) {
    return (
      <LoadFailed
        message={(networks.error ?? accounts.error)?.message ?? "Could not load your accounts."}
        onRetry={() => void Promise.all([networks.refetch(), accounts.refetch()])}
      />
    );
  }

  const byNetwork = (id: string) => accounts.data.filter((account) => account.networkId === id);
  const available = networks.data.filter((n) => n.hasConnector);
  const planned = networks.data.filter((n) => !n.hasConnector);

  return (
    <>
      {/* A live region present before its message, so screen readers announce what a link or unlink did. */}
      <div role="status" data-testid="accounts-notice">
        {notice && (
          <div className="mb-8 rounded-lg border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950 dark:text-indigo-100">
            <strong className="font-semibold">{notice.title}</strong>
            {notice.detail && <> {notice.detail}</>}
            {notice.action && (
              <>
                {" "}
                <Link
                  href={notice.action.href}
                  className="font-medium text-indigo-700 underline hover:no-underline dark:text-indigo-300"
                >
                  {notice.action.label}
                </Link>
              </>
            )}
          </div>
        )}
      </div>
      <div className="space-y-8">
        {accounts.data.length === 0 && (
          <Alert tone="info">
            No linked accounts yet. Link one below and OneProfile will keep its avatar, display name, signature and mood
            in step with your profile.
          </Alert>
        )}
        <section aria-labelledby="available-heading">
          <h2 id="available-heading" className="mb-3 text-sm font-semibold tracking-wide text-slate-500 uppercase">
            Networks
          </h2>
          <ul className="grid gap-4 sm:grid-cols-2">
            {available.map((network) => (
              <li key={network.id}>
                <NetworkCard
                  network={network}
                  accounts={byNetwork(network.id)}
                  onLink={() => {
                    setNotice(null);
                    setLinking(network);
                  }}
                  onUnlink={setUnlinking}
                />
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="planned-heading">
          <h2 id="planned-heading" className="mb-3 text-sm font-semibold tracking-wide text-slate-500 uppercase">
            Coming soon
          </h2>
          <ul className="grid gap-3 sm:grid-cols-3">
            {planned.map((network) => (
              <li key={network.id}>
                <Card className="flex items-center gap-3 p-4 opacity-75">
                  <NetworkMark network={network} />
                  <div>
                    <p className="font-medium">{network.displayName}</p>
                    <p className="text-xs text-slate-500">Coming soon</p>
                  </div>
                </Card>
              </li>
            ))}
          </ul>
        </section>

        <Modal
          isOpen={linking !== null}
          onClose={() => setLinking(null)}
          title={`Link your ${linking?.displayName ?? ""} account`}
        >
          {linking && (
            <LinkForm
              network={linking}
              onCancel={() => setLinking(null)}
              onLinked={(linked) => {
                setLinking(null);
                setNotice(linkedNotice(linked));
              }}
            />
          )}
        </Modal>
        <Modal
          isOpen={unlinking !== null}
          onClose={() => setUnlinking(null)}
          title={`Unlink ${unlinking?.networkName ?? ""} ${unlinking?.login ?? ""}?`}
        >
          {unlinking && (
            <UnlinkConfirmation
              account={unlinking}
              onDone={(message) => {
                setUnlinking(null);
                if (message) setNotice({ title: message });
              }}
            />
          )}
        </Modal>
      </div>
    </>
  );
}

function NetworkCard({
  network,
  accounts,
  onLink,
  onUnlink,
}: {
  network: TNetwork;
  accounts: TAccount[];
  onLink: () => void;
  onUnlink: (account: TAccount) => void;
}) {
  return (
    <Card className="flex h-full flex-col gap-4 p-5">
      <div className="flex items-center gap-3" data-testid={`network-${network.id}`}>
        <NetworkMark network={network} />
        <div className="min-w-0 flex-1">
          <h3 className="font-semibold">{network.displayName}</h3>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            {network.isEnabled
              ? `${accounts.length === 0 ? "Not linked" : `${accounts.length} linked`}`
              : "Switched off by OneProfile"}
          </p>
        </div>
        {network.isLinkable && (
          <Button variant={accounts.length === 0 ? "primary" : "secondary"} className="px-3 py-1.5" onClick={onLink}>
            {accounts.length === 0 ? "Link" : "Link another"}
          </Button>
        )}
      </div>
      {accounts.map((account) => (
        <LinkedAccountRow key={account.id} network={network} account={account} onUnlink={() => onUnlink(account)} />
      ))}
    </Card>
  );
}

function LinkedAccountRow({
  network,
  account,
  onUnlink,
}: {
  network: TNetwork;
  account: TAccount;
  onUnlink: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // What the user just chose, shown at once (component state updates within the click, so the
  // switch never flickers back); cleared when the server's answer is in.
  const [pending, setPending] = useState<Partial<Record<TField, boolean>>>({});
  const [isRelinking, setIsRelinking] = useState(false);
  const [relinkNotice, setRelinkNotice] = useState<string | null>(null);
  const setFields = useMutation(trpc.registration.setFields.mutationOptions());
  const onToggle = (field: TField, isOn: boolean) => {
    setPending((current) => ({ ...current, [field]: isOn }));
    setFields.mutate(
      { accountId: account.id, fields: { [field]: isOn } },
      {
        onSettled: async () => {
          await queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() });
          setPending(({ [field]: _done, ...rest }) => rest);
        },
      },
    );
  };
  const status = STATUS[account.status];
  return (
    <div
      className="rounded-xl border border-slate-200 p-3 dark:border-slate-800"
      data-testid={`account-${account.networkId}-${account.login}`}
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-mono text-sm">{account.login}</span>
        <Badge className={status.className}>{status.label}</Badge>
        <button
          type="button"
          onClick={onUnlink}
          className="ml-auto rounded text-sm font-medium text-red-600 hover:underline focus-visible:outline-2 focus-visible:outline-red-500 dark:text-red-400"
        >
          Unlink
        </button>
      </div>
      {account.status === "needs_reauth" && (
        <div className="mt-2 flex flex-wrap items-center gap-2 text-sm text-amber-800 dark:text-amber-300">
          <span>{network.displayName} no longer accepts the saved password; nothing is sent to it.</span>
          <Button variant="secondary" className="px-3 py-1" onClick={() => setIsRelinking(true)}>
            Enter the new password
          </Button>
          <Modal
            isOpen={isRelinking}
            onClose={() => setIsRelinking(false)}
            title={`Sign in to ${network.displayName} again`}
          >
            <RelinkForm
              account={account}
              onDone={(message) => {
                setIsRelinking(false);
                setRelinkNotice(message ?? null);
              }}
            />
          </Modal>
        </div>
      )}
      {account.status === "paused" && (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
          OneProfile support has paused syncing to this account, so nothing is sent to it. Support resumes it; it then
          gets your current profile by itself.
        </p>
      )}
      {relinkNotice && account.status === "active" && (
        <p role="status" className="mt-2 text-sm text-emerald-700 dark:text-emerald-400">
          {relinkNotice}
        </p>
      )}
      <fieldset className="mt-3">
        <legend className="mb-1 text-xs font-medium text-slate-500">Keep in sync</legend>
        <div className="grid grid-cols-2 gap-x-4 gap-y-1">
          {(Object.keys(FIELD_LABELS) as TField[]).map((field) => {
            const isSupported = account.supported[field];
            return (
              <label key={field} className={cx("flex items-center gap-2 text-sm", !isSupported && "opacity-50")}>
                <input
                  type="checkbox"
                  role="switch"
                  className="size-4 accent-indigo-600"
                  checked={isSupported && (pending[field] ?? account.sync[field])}
                  disabled={!isSupported}
                  onChange={(event) => onToggle(field, event.target.checked)}
                />
                {FIELD_LABELS[field]}
                {!isSupported && <span className="text-xs">(not supported)</span>}
              </label>
            );
          })}
        </div>
      </fieldset>
      {setFields.isError && (
        <p role="alert" className="mt-2 text-sm text-red-600 dark:text-red-400">
          {describeTRPCError(setFields.error).message}
        </p>
      )}
    </div>
  );
}

function UnlinkConfirmation({ account, onDone }: { account: TAccount; onDone: (message?: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const unlink = useMutation(
    trpc.registration.unlink.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() });
        onDone(`${account.networkName} ${account.login} is unlinked.`);
      },
    }),
  );
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-300">
        OneProfile will stop updating this account and delete its saved password. Your profile on {account.networkName}{" "}
        stays as it is now.
      </p>
      {unlink.isError && <Alert>{describeTRPCError(unlink.error).message}</Alert>}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={() => onDone()} autoFocus>
          Cancel
        </Button>
        <Button
          isBusy={unlink.isPending}
          className="bg-red-600 hover:bg-red-500"
          onClick={() => unlink.mutate({ accountId: account.id })}
        >
          Unlink
        </Button>
      </div>
    </div>
  );
}
