import type { Metadata } from "next";
import { EmptyState, PageHeader } from "../../_components/ui";

export const metadata: Metadata = { title: "Accounts" };

export default function AccountsPage() {
  return (
    <>
      <PageHeader
        title="Linked accounts"
        description="The instant-messaging and social accounts OneProfile keeps in step."
      />
      <EmptyState icon="🔗" title="No linked accounts yet">
        Linking accounts on QQ, MSN, Fetion and other networks is not available in this version yet.
      </EmptyState>
    </>
  );
}
