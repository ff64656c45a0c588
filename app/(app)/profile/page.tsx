import type { Metadata } from "next";
import { PageHeader } from "../../_components/ui";
import { ProfileEditor } from "./profile-editor";

export const metadata: Metadata = { title: "Profile" };

export default function ProfilePage() {
  return (
    <>
      <PageHeader
        title="Your profile"
        description="One avatar, nickname, signature and mood for every account you link. Save once; each account gets it."
      />
      <ProfileEditor />
    </>
  );
}
