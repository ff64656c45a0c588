"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn, signOut } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { PASSWORD_MIN_LENGTH, ZChangePasswordInput } from "@/server/auth/schemas";
import { signInUrl } from "@/server/auth/sign-in-notices";
import { describeTRPCError, fieldErrorsOf, type TFieldErrors } from "../../_components/form-errors";
import { Modal } from "../../_components/modal";
import { useTRPC } from "../../_components/trpc-provider";
import { Alert, Button, Card, TextField } from "../../_components/ui";

/**
 * Changing the password ends every session, this browser's too; the form then signs this
 * browser in again with the new password, so only the other browsers and devices are signed out.
 * When that sign-in fails (the account's sign-in limit, the network), the sign-in page says why.
 */
export function ChangePasswordForm({ email }: { email: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const change = useMutation(trpc.auth.changePassword.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [isSigningIn, setIsSigningIn] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const parsed = ZChangePasswordInput.safeParse({
      currentPassword: form.get("currentPassword"),
      newPassword: form.get("newPassword"),
    });
    setFormError(null);
    setNotice(null);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      return;
    }
    setFieldErrors({});
    try {
      await change.mutateAsync(parsed.data);
    } catch (error) {
      const { fields, message } = describeTRPCError(error);
      if (Object.keys(fields).length > 0) setFieldErrors(fields);
      else setFormError(message);
      return;
    }
    setIsSigningIn(true);
    const result = await signIn("credentials", { email, password: parsed.data.newPassword, redirect: false }).catch(
      () => null,
    );
    if (!result || result.error) {
      // The password is changed and this session has ended with the others.
      await signOut({ callbackUrl: signInUrl("password-changed", "/settings") });
      return;
    }
    setIsSigningIn(false);
    formElement.reset();
    setNotice("Your password is changed. Every other browser and device is signed out.");
    router.refresh();
  }

  return (
    <Card>
      <form onSubmit={onSubmit} noValidate className="space-y-4" aria-labelledby="change-password-title">
        <h2 id="change-password-title" className="text-lg font-semibold">
          Change password
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Every other browser and device signed in to your account is signed out; this one stays signed in.
        </p>
        {formError && <Alert>{formError}</Alert>}
        {/* For password managers: which account this password belongs to. */}
        <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
        <TextField
          id="currentPassword"
          name="currentPassword"
          type="password"
          label="Current password"
          autoComplete="current-password"
          error={fieldErrors.currentPassword}
          required
        />
        <TextField
          id="newPassword"
          name="newPassword"
          type="password"
          label="New password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          error={fieldErrors.newPassword}
          minLength={PASSWORD_MIN_LENGTH}
          required
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" isBusy={change.isPending || isSigningIn}>
            Change password
          </Button>
          {notice && <Alert tone="info">{notice}</Alert>}
        </div>
      </form>
    </Card>
  );
}

/** Ends every session of the account, after a confirmation; this browser goes to sign-in. */
export function SignOutEverywhere() {
  const trpc = useTRPC();
  const [isConfirming, setIsConfirming] = useState(false);
  const [isLeaving, setIsLeaving] = useState(false);
  const signOutAll = useMutation(
    trpc.auth.signOutEverywhere.mutationOptions({
      onSuccess: async () => {
        setIsLeaving(true);
        await signOut({ callbackUrl: "/signin" });
      },
    }),
  );
  const isBusy = signOutAll.isPending || isLeaving;

  return (
    <Card className="space-y-4">
      <h2 className="text-lg font-semibold">Sign out everywhere</h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Signs out every browser and device signed in to your account, this one too. Use it if you signed in on a
        computer that is not yours, or think someone else knows your password (then change it, too).
      </p>
      <Button
        variant="secondary"
        onClick={() => {
          // A new confirmation starts clean: no error from the last attempt.
          signOutAll.reset();
          setIsConfirming(true);
        }}
      >
        Sign out everywhere…
      </Button>
      <Modal
        isOpen={isConfirming}
        onClose={() => setIsConfirming(false)}
        canClose={!isBusy}
        title="Sign out everywhere?"
      >
        <div className="space-y-4">
          <p className="text-sm text-slate-600 dark:text-slate-300">
            Every browser and device signed in to your account will be signed out, this one too. You can sign in again
            right away.
          </p>
          {signOutAll.isError && <Alert>{describeTRPCError(signOutAll.error).message}</Alert>}
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => setIsConfirming(false)} disabled={isBusy} autoFocus>
              Cancel
            </Button>
            <Button isBusy={isBusy} className="bg-red-600 hover:bg-red-500" onClick={() => signOutAll.mutate()}>
              Sign out everywhere
            </Button>
          </div>
        </div>
      </Modal>
    </Card>
  );
}
