import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { AccountsView } from "./accounts-view";

export const metadata: Metadata = { title: "Accounts" };

export default function AccountsPage() {
  return (
    <>
      <PageHeader
        title="Linked accounts"
        description="The instant-messaging and social accounts OneProfile keeps in step with your profile."
      />
      <AccountsView />
    </>
  );
}
