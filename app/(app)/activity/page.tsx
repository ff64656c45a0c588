import type { Metadata } from "next";
import { EmptyState, PageHeader } from "../../_components/ui";

export const metadata: Metadata = { title: "Activity" };

export default function ActivityPage() {
  return (
    <>
      <PageHeader title="Activity" description="Every profile change and its delivery to each linked account." />
      <EmptyState icon="📭" title="No updates yet">
        When you change your profile, each delivery to your linked accounts shows up here.
      </EmptyState>
    </>
  );
}
