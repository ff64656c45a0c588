import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState, PageHeader } from "../../_components/ui";

export const metadata: Metadata = { title: "Profile" };

export default function ProfilePage() {
  return (
    <>
      <PageHeader
        title="Your profile"
        description="One avatar, nickname, signature and mood for every account you link."
      />
      <EmptyState icon="🪪" title="Nothing to sync yet">
        Your unified profile is edited here once you have linked an account.{" "}
        <Link href="/accounts" className="font-medium text-indigo-600 hover:underline dark:text-indigo-400">
          Go to Accounts
        </Link>
      </EmptyState>
    </>
  );
}
