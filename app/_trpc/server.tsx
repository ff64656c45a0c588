/**
 * tRPC for React Server Components (create-t3-app's `trpc/server.ts`): a page prefetches its
 * queries on the server through the same procedures, called in-process with the request's
 * session, and `HydrateClient` hands the results to the client components, which render at once
 * and refresh from there.
 */
import "server-only";
import {
  dehydrate,
  HydrationBoundary,
  type FetchInfiniteQueryOptions,
  type FetchQueryOptions,
} from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { appRouter, createCaller } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { makeQueryClient } from "./query-client";

const createContext = cache(async () => createTRPCContext({ headers: new Headers(await headers()) }));

/** One QueryClient per request. */
export const getQueryClient = cache(makeQueryClient);

export const trpc = createTRPCOptionsProxy({ ctx: createContext, router: appRouter, queryClient: getQueryClient });

/** The procedures called directly, for a page that needs a value itself (a 404, a title). */
export const api = createCaller(createContext);

export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

/**
 * Runs a page's query on the server. Awaited, so the page renders with its data. A failure is not
 * handed over: the page may act on it (a 404), and the client component fetches again and shows it.
 */
export async function prefetch(options: { queryKey: readonly unknown[] }): Promise<void> {
  const queryClient = getQueryClient();
  // tRPC's query keys say which kind of query they are: [path, { input, type }].
  const kind = (options.queryKey[1] as { type?: string } | undefined)?.type;
  if (kind === "infinite") await queryClient.prefetchInfiniteQuery(options as FetchInfiniteQueryOptions);
  else await queryClient.prefetchQuery(options as FetchQueryOptions);
}
