import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { HydrateClient, prefetch, trpc } from "../../_trpc/server";
import { DashboardView } from "./dashboard/dashboard-view";

export const metadata: Metadata = { title: "Admin" };

/** The operations dashboard: the last hour is read on the server, so the first paint has figures. */
export default async function AdminDashboardPage() {
  await prefetch(trpc.admin.dashboard.queryOptions({ range: "hour" }));
  return (
    <HydrateClient>
      <PageHeader
        title="Dashboard"
        description="Deliveries, failures, the job queue and network reports, per minute, from the workers' rollup."
      />
      <DashboardView />
    </HydrateClient>
  );
}
