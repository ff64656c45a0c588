import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getQueryClient, HydrateClient, prefetch, trpc } from "../../../../_trpc/server";
import { UserDetail } from "./user-detail";

export const metadata: Metadata = { title: "User · Admin" };

export default async function AdminUserPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const options = trpc.admin.user.queryOptions({ userId: id });
  await prefetch(options);
  const error = getQueryClient().getQueryState(options.queryKey)?.error;
  // An unknown or malformed id is a 404, not an error page.
  if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) notFound();
  return (
    <HydrateClient>
      <UserDetail userId={id} />
    </HydrateClient>
  );
}
