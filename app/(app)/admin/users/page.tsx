import type { Metadata } from "next";
import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { PageHeader } from "../../../_components/ui";
import { UserDirectory } from "./user-directory";

export const metadata: Metadata = { title: "Users · Admin" };

export default async function AdminUsersPage() {
  await prefetch(
    trpc.admin.users.infiniteQueryOptions({ query: "" }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  return (
    <HydrateClient>
      <PageHeader title="Users" description="Find a person by email; open them to see their accounts and deliveries." />
      <UserDirectory />
    </HydrateClient>
  );
}
