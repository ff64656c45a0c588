"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { PASSWORD_MIN_LENGTH, ZSignUpInput } from "@/server/auth/schemas";
import { useTRPC } from "../../_components/trpc-provider";
import { describeTRPCError, fieldErrorsOf, type TFieldErrors } from "../../_components/form-errors";
import { Alert, Button, TextField } from "../../_components/ui";

export function SignUpForm({ callbackUrl }: { callbackUrl: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [isSigningIn, setIsSigningIn] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const parsed = ZSignUpInput.safeParse({ email: form.get("email"), password: form.get("password") });
    setFormError(null);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      return;
    }
    setFieldErrors({});
    try {
      await signUp.mutateAsync(parsed.data);
    } catch (error) {
      const { code, fields, message } = describeTRPCError(error);
      if (code === "CONFLICT") setFieldErrors({ email: message });
      else if (Object.keys(fields).length > 0) setFieldErrors(fields);
      else setFormError(message);
      return;
    }
    setIsSigningIn(true);
    const result = await signIn("credentials", { ...parsed.data, redirect: false }).catch(() => null);
    if (!result || result.error) {
      setIsSigningIn(false);
      setFormError("Your account was created, but signing in failed. Please sign in.");
      return;
    }
    router.replace(callbackUrl);
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-labelledby="signup-title">
      <h1 id="signup-title" className="text-xl font-semibold">
        Create your account
      </h1>
      {formError && <Alert>{formError}</Alert>}
      <TextField
        id="email"
        name="email"
        type="email"
        label="Email"
        autoComplete="email"
        error={fieldErrors.email}
        required
      />
      <TextField
        id="password"
        name="password"
        type="password"
        label="Password"
        autoComplete="new-password"
        hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
        error={fieldErrors.password}
        minLength={PASSWORD_MIN_LENGTH}
        required
      />
      <Button type="submit" isBusy={signUp.isPending || isSigningIn} className="w-full">
        Create account
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        Already have an account?{" "}
        <Link
          href={`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`}
          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Sign in
        </Link>
      </p>
    </form>
  );
}
