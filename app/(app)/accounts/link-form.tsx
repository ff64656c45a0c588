"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeTRPCError, type TFieldErrors } from "../../_components/form-errors";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Button, TextField } from "../../_components/ui";
import type { TAccount, TLinked, TNetwork } from "./accounts-view";

/** What linking will do first, as the server decides it (server/registration/link.ts). */
type TIntent = "checking" | "import" | "send" | "unknown";

/**
 * The portal profile decides: still empty (no revision, version 0) → the account's profile is
 * imported; otherwise the account is sent the portal's. Asked afresh whenever the dialog opens,
 * since a profile saved or imported since the page loaded changes the answer.
 */
function useIntent(): TIntent {
  const trpc = useTRPC();
  const profile = useQuery({ ...trpc.profile.get.queryOptions(), staleTime: 0, refetchOnMount: "always" });
  if (profile.isError) return "unknown";
  if (profile.isPending || (profile.isFetching && !profile.isFetchedAfterMount)) return "checking";
  return profile.data.version === 0 ? "import" : "send";
}

function IntentNote({ intent, networkName }: { intent: TIntent; networkName: string }) {
  const text = {
    checking: "Checking your OneProfile profile…",
    import: "Your OneProfile profile is empty, so we'll import this account's name, signature, mood and avatar.",
    send: "This account will get your OneProfile profile right away (name, signature, mood, avatar — the fields you sync).",
    unknown: `If your OneProfile profile is still empty, we'll import this account's name, signature, mood and avatar; otherwise ${networkName} gets your OneProfile profile right away.`,
  }[intent];
  return (
    <p
      role="status"
      aria-busy={intent === "checking" || undefined}
      data-testid="link-intent"
      className="rounded-lg bg-slate-100 px-3 py-2 text-sm text-slate-700 dark:bg-slate-800 dark:text-slate-200"
    >
      {text}
    </p>
  );
}

export function LinkForm({
  network,
  onCancel,
  onLinked,
}: {
  network: TNetwork;
  onCancel: () => void;
  onLinked: (linked: TLinked) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const decided = useIntent();
  // What the person was told when they submitted stays shown: the refetch after an import would
  // otherwise switch the note to "will get your profile" while the dialog closes.
  const [submittedIntent, setSubmittedIntent] = useState<TIntent | null>(null);
  const intent = submittedIntent ?? decided;
  const link = useMutation(trpc.registration.link.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const { loginForm } = network;
  // The server is for the few whose account is not found from its login: folded away until asked for.
  const [isServerShown, setIsServerShown] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const login = String(form.get("login") ?? "").trim();
    const secret = String(form.get("secret") ?? "");
    const server = String(form.get("server") ?? "").trim();
    const errors: TFieldErrors = {};
    if (!login) errors.login = `Enter your ${loginForm.loginLabel}.`;
    if (!secret) errors.secret = "Enter your password.";
    if (form.get("consent") !== "on") errors.consent = "Please allow OneProfile to update this account.";
    setFieldErrors(errors);
    setFormError(null);
    if (Object.keys(errors).length > 0) return;
    setSubmittedIntent(decided);
    try {
      const linked = await link.mutateAsync({
        networkId: network.id,
        login,
        secret,
        ...(server ? { server } : {}),
        consent: true,
      });
      // An import writes a profile revision, a send a catch-up entry: Profile and Activity change too.
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.profile.pathKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.activity.pathKey() }),
      ]);
      onLinked(linked);
    } catch (error) {
      setSubmittedIntent(null);
      const { fields, message } = describeTRPCError(error);
      if (Object.keys(fields).length > 0) {
        setFieldErrors(fields);
        if (fields.server) setIsServerShown(true);
      } else setFormError(message);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
      <IntentNote intent={intent} networkName={network.displayName} />
      <TextField
        id="link-login"
        name="login"
        label={loginForm.loginLabel}
        placeholder={loginForm.loginPlaceholder}
        hint={loginForm.loginHint}
        autoComplete="username"
        error={fieldErrors.login}
        autoFocus
      />
      <TextField
        id="link-secret"
        name="secret"
        type="password"
        label={loginForm.secretLabel}
        autoComplete="current-password"
        error={fieldErrors.secret}
      />
      {loginForm.server && (
        <details
          open={isServerShown}
          onToggle={(event) => setIsServerShown(event.currentTarget.open)}
          className="rounded-lg border border-slate-200 px-3 py-2 dark:border-slate-700"
        >
          <summary className="cursor-pointer text-sm font-medium text-slate-700 dark:text-slate-200">
            Server settings (optional)
          </summary>
          <div className="mt-3">
            <TextField
              id="link-server"
              name="server"
              label={loginForm.server.label}
              placeholder={loginForm.server.placeholder}
              hint={loginForm.server.hint}
              autoComplete="off"
              error={fieldErrors.server}
            />
          </div>
        </details>
      )}
      <div>
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            name="consent"
            className="mt-0.5 size-4 accent-indigo-600"
            aria-invalid={fieldErrors.consent ? true : undefined}
            aria-describedby={fieldErrors.consent ? "consent-error" : undefined}
          />
          <span>
            I allow OneProfile to sign in to this {network.displayName} account and change its avatar, display name,
            signature and mood to match my OneProfile profile. I can unlink it at any time.
          </span>
        </label>
        {fieldErrors.consent && (
          <p id="consent-error" className="mt-1 text-sm text-red-600 dark:text-red-400">
            {fieldErrors.consent}
          </p>
        )}
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        {network.displayName} checks the password before anything is saved. OneProfile stores it encrypted and never
        shows it again.
      </p>
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        {/* Held until the dialog can say what linking does first. */}
        <Button type="submit" isBusy={link.isPending} disabled={intent === "checking"}>
          Link {network.displayName}
        </Button>
      </div>
    </form>
  );
}

/** For an account whose network stopped accepting the saved password: give it the new one. */
export function RelinkForm({ account, onDone }: { account: TAccount; onDone: (message?: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const relink = useMutation(trpc.registration.relink.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const secret = String(new FormData(event.currentTarget).get("secret") ?? "");
    if (!secret) return setError("Enter your password.");
    try {
      await relink.mutateAsync({ accountId: account.id, secret });
      // Active again, it is owed the current profile: its entries on Activity reopen.
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.activity.pathKey() }),
      ]);
      onDone(`${account.networkName} ${account.login} is active again.`);
    } catch (failure) {
      setError(describeTRPCError(failure).message);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      <p className="text-sm text-slate-600 dark:text-slate-300">
        {account.networkName} no longer accepts the password OneProfile saved for {account.login} (was it changed?).
        Enter the current one; {account.networkName} checks it before it is saved.
      </p>
      <TextField
        id="relink-secret"
        name="secret"
        type="password"
        label={`${account.networkName} password`}
        autoComplete="current-password"
        error={error ?? undefined}
        autoFocus
      />
      <div className="flex justify-end gap-2">
        <Button type="button" variant="secondary" onClick={() => onDone()}>
          Cancel
        </Button>
        <Button type="submit" isBusy={relink.isPending}>
          Save password
        </Button>
      </div>
    </form>
  );
}
