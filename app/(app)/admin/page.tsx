import type { Metadata } from "next";
import { db } from "@/server/db";
import { getServerAuthSession } from "@/server/auth/options";
import { EmptyState, PageHeader } from "../../_components/ui";
import { NetworkSwitches } from "./network-switches";
import { UserDirectory } from "./user-directory";

export const metadata: Metadata = { title: "Admin" };

export default async function AdminPage() {
  const session = await getServerAuthSession();
  const user = session && (await db.user.findUnique({ where: { id: session.user.id }, select: { role: true } }));
  if (user?.role !== "ADMIN") {
    return (
      <EmptyState icon="🔒" title="Administrators only">
        This page is for OneProfile support staff.
      </EmptyState>
    );
  }
  return (
    <>
      <PageHeader title="Admin" description="Find users and support them." />
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <UserDirectory />
        <NetworkSwitches />
      </div>
    </>
  );
}
