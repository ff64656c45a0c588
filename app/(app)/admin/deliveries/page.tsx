import type { Metadata } from "next";
import { PageHeader } from "../../../_components/ui";
import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { DeliveryLog } from "./delivery-log";
import { logInput, logSearchOf } from "./log-search";

export const metadata: Metadata = { title: "Delivery log · Admin" };

export default async function AdminDeliveriesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // A repeated parameter counts once.
  const search = logSearchOf((key) => [params[key]].flat()[0]);
  const { input, rangeError } = logInput(search);
  await Promise.all([
    prefetch(trpc.admin.networks.queryOptions()),
    rangeError
      ? Promise.resolve()
      : prefetch(
          trpc.admin.deliveries.infiniteQueryOptions(input, {
            getNextPageParam: (page) => page.nextCursor ?? undefined,
          }),
        ),
  ]);
  return (
    <HydrateClient>
      <PageHeader
        title="Delivery log"
        description="Every delivery to every linked account, newest first, with the vendor's message when one failed."
      />
      {/* Another filtered view (a link, the nav) starts afresh from its URL. */}
      <DeliveryLog key={JSON.stringify(search)} initial={search} />
    </HydrateClient>
  );
}
