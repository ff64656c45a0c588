import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerAuthSession, portalOrigin } from "@/server/auth/options";
import { safeCallbackUrl } from "../../_components/safe-callback";
import { signInNotice } from "@/server/auth/sign-in-notices";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // Same-origin absolute URLs (next-auth sends them) are followed too, as their path.
  const callbackUrl = safeCallbackUrl(params.callbackUrl, portalOrigin());
  if (await getServerAuthSession()) redirect(callbackUrl);
  return <SignInForm callbackUrl={callbackUrl} notice={signInNotice(params.error ? "auth-error" : params.notice)} />;
}
