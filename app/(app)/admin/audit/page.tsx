import type { Metadata } from "next";
import { PageHeader } from "../../../_components/ui";
import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { auditInput, type TAuditSearch } from "./audit-input";
import { AuditLog } from "./audit-log";

export const metadata: Metadata = { title: "Audit log · Admin" };

export default async function AdminAuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // A repeated parameter counts once.
  const first = (key: keyof TAuditSearch) => [params[key]].flat()[0];
  const search: TAuditSearch = {
    email: first("email"),
    action: first("action"),
    actor: first("actor"),
    subject: first("subject"),
  };
  await prefetch(
    trpc.admin.audit.infiniteQueryOptions(auditInput(search), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );
  return (
    <HydrateClient>
      <PageHeader
        title="Audit log"
        description="Who did what, when, to whom. Nothing here can be changed or deleted, by anyone."
      />
      <AuditLog initial={search} />
    </HydrateClient>
  );
}
