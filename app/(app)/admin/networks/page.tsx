import type { Metadata } from "next";
import { PageHeader } from "../../../_components/ui";
import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { NetworkSwitches } from "./network-switches";

export const metadata: Metadata = { title: "Networks · Admin" };

export default async function AdminNetworksPage() {
  await prefetch(trpc.admin.networks.queryOptions());
  return (
    <HydrateClient>
      <PageHeader title="Networks" description="Switch networks on and off; see how each one is doing." />
      <NetworkSwitches />
    </HydrateClient>
  );
}
