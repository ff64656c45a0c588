"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { ZSignInInput } from "@/server/auth/schemas";
import { fieldErrorsOf, type TFieldErrors } from "../../_components/form-errors";
import { Alert, Button, TextField } from "../../_components/ui";

export function SignInForm({ callbackUrl, notice }: { callbackUrl: string; notice: string | null }) {
  const router = useRouter();
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [isBusy, setIsBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const parsed = ZSignInInput.safeParse({ email: form.get("email"), password: form.get("password") });
    setFormError(null);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      return;
    }
    setFieldErrors({});
    setIsBusy(true);
    try {
      const result = await signIn("credentials", { ...parsed.data, redirect: false });
      if (!result || result.error) {
        setFormError(
          !result?.error || result.error === "CredentialsSignin" ? "Wrong email or password." : result.error,
        );
        return;
      }
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setFormError("Could not reach OneProfile. Check your connection and try again.");
    } finally {
      setIsBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-labelledby="signin-title">
      <h1 id="signin-title" className="text-xl font-semibold">
        Sign in
      </h1>
      {notice && !formError && <Alert tone="info">{notice}</Alert>}
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
        autoComplete="current-password"
        error={fieldErrors.password}
        required
      />
      <Button type="submit" isBusy={isBusy} className="w-full">
        Sign in
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        New to OneProfile?{" "}
        <Link
          href={`/signup?callbackUrl=${encodeURIComponent(callbackUrl)}`}
          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Create an account
        </Link>
      </p>
    </form>
  );
}
