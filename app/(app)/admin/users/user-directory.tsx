"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "../../../_components/trpc-provider";
import { Button, Card, LoadFailed } from "../../../_components/ui";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function UserDirectory() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const deferredQuery = useDeferredValue(query.trim());
  const users = useInfiniteQuery({
    ...trpc.admin.users.infiniteQueryOptions(
      { query: deferredQuery },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
    placeholderData: keepPreviousData,
  });
  const rows = users.data?.pages.flatMap((page) => page.rows) ?? [];

  return (
    <Card>
      <label htmlFor="user-search" className="block text-sm font-medium">
        Search users by email
      </label>
      <input
        id="user-search"
        type="search"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        placeholder="part of an email, any case"
        className="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900"
      />
      <div className="mt-4 overflow-x-auto" aria-live="polite" aria-busy={users.isFetching}>
        {users.isPending ? (
          <p className="text-sm text-slate-500">Loading users…</p>
        ) : users.isError ? (
          <LoadFailed message={users.error.message} onRetry={() => void users.refetch()} />
        ) : rows.length === 0 ? (
          <p className="text-sm text-slate-500">
            {deferredQuery ? `No users match “${deferredQuery}”.` : "No users have signed up yet."}
          </p>
        ) : (
          <table className="w-full text-left text-sm" data-testid="admin-users">
            <thead className="text-slate-500">
              <tr>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Email
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Role
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Joined
                </th>
                <th scope="col" className="py-2 pr-3 text-right font-medium">
                  Accounts
                </th>
                <th scope="col" className="py-2 pr-3 text-right font-medium">
                  Need re-auth
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Last change
                </th>
                <th scope="col" className="py-2 text-right font-medium">
                  Failed (24 h)
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {rows.map((user) => (
                <tr key={user.id}>
                  <td className="py-2 pr-3">
                    <Link
                      href={`/admin/users/${user.id}`}
                      className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
                    >
                      {user.email}
                    </Link>
                  </td>
                  <td className="py-2 pr-3">{user.role === "ADMIN" ? "Admin" : "User"}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{dateFormat.format(user.createdAt)}</td>
                  <td className="py-2 pr-3 text-right tabular-nums">{user.linkedAccounts}</td>
                  <td className="py-2 pr-3 text-right tabular-nums">
                    {user.needsReauth > 0 ? (
                      <span className="font-semibold text-amber-800 dark:text-amber-300">{user.needsReauth}</span>
                    ) : (
                      0
                    )}
                  </td>
                  <td className="py-2 pr-3 whitespace-nowrap">
                    {user.lastChangeAt ? dateFormat.format(user.lastChangeAt) : "—"}
                  </td>
                  <td className="py-2 text-right tabular-nums">
                    {user.failedLastDay > 0 ? (
                      <span className="font-semibold text-red-700 dark:text-red-300">{user.failedLastDay}</span>
                    ) : (
                      0
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {users.hasNextPage && (
        <div className="mt-4">
          <Button variant="secondary" isBusy={users.isFetchingNextPage} onClick={() => void users.fetchNextPage()}>
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
