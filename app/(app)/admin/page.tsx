import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";

export const metadata: Metadata = { title: "Admin" };

export default function AdminDashboardPage() {
  return <PageHeader title="Dashboard" description="The system's health at a glance." />;
}
