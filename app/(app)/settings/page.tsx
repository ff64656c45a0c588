import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerAuthSession } from "@/server/auth/options";
import { PageHeader } from "../../_components/ui";
import { ChangePasswordForm, SignOutEverywhere } from "./settings-forms";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const session = await getServerAuthSession();
  if (!session) redirect("/signin?callbackUrl=%2Fsettings");
  return (
    <>
      <PageHeader title="Settings" description="Your OneProfile password and where you are signed in." />
      <div className="grid max-w-2xl gap-6">
        <ChangePasswordForm email={session.user.email} />
        <SignOutEverywhere />
      </div>
    </>
  );
}
