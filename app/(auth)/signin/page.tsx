import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerAuthSession } from "@/server/auth/options";
import { safeCallbackUrl } from "../../_components/safe-callback";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const callbackUrl = safeCallbackUrl((await searchParams).callbackUrl);
  if (await getServerAuthSession()) redirect(callbackUrl);
  return <SignInForm callbackUrl={callbackUrl} />;
}
