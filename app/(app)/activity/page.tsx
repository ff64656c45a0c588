import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { ActivityFeed } from "./activity-feed";

export const metadata: Metadata = { title: "Activity" };

export default function ActivityPage() {
  return (
    <>
      <PageHeader title="Activity" description="Every profile change and its delivery to each linked account, live." />
      <ActivityFeed />
    </>
  );
}
