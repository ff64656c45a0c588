"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeTRPCError, type TFieldErrors } from "../../_components/form-errors";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Button, TextField } from "../../_components/ui";
import type { TAccount, TNetwork } from "./accounts-view";

export function LinkForm({
  network,
  onCancel,
  onLinked,
}: {
  network: TNetwork;
  onCancel: () => void;
  onLinked: (account: TAccount) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const link = useMutation(trpc.registration.link.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const { loginForm } = network;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const login = String(form.get("login") ?? "").trim();
    const secret = String(form.get("secret") ?? "");
    const errors: TFieldErrors = {};
    if (!login) errors.login = `Enter your ${loginForm.loginLabel}.`;
    if (!secret) errors.secret = "Enter your password.";
    if (form.get("consent") !== "on") errors.consent = "Please allow OneProfile to update this account.";
    setFieldErrors(errors);
    setFormError(null);
    if (Object.keys(errors).length > 0) return;
    try {
      const account = await link.mutateAsync({ networkId: network.id, login, secret, consent: true });
      await queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() });
      onLinked(account);
    } catch (error) {
      const { fields, message } = describeTRPCError(error);
      if (Object.keys(fields).length > 0) setFieldErrors(fields);
      else setFormError(message);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
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
        <Button type="submit" isBusy={link.isPending}>
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
      await queryClient.invalidateQueries({ queryKey: trpc.registration.accounts.queryKey() });
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
