import type { Metadata } from "next";
import { env } from "@/server/env";
import { PageHeader } from "../../_components/ui";
import { ActivityFeed } from "./activity-feed";

export const metadata: Metadata = { title: "Activity" };

export default function ActivityPage() {
  return (
    <>
      <PageHeader
        title="Activity"
        description={`Every profile change and its delivery to each linked account, live. Showing the last ${env.DELIVERY_RETENTION_DAYS} days.`}
      />
      <ActivityFeed />
    </>
  );
}
