import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerAuthSession, portalOrigin } from "@/server/auth/options";
import { safeCallbackUrl } from "../../_components/safe-callback";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Create your account" };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // Same-origin absolute URLs (next-auth sends them) are followed too, as their path.
  const callbackUrl = safeCallbackUrl(params.callbackUrl, portalOrigin());
  if (await getServerAuthSession()) redirect(callbackUrl);
  return <SignUpForm callbackUrl={callbackUrl} />;
}
