"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "../../_components/trpc-provider";
import { Card, LoadFailed } from "../../_components/ui";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function UserDirectory() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const deferredQuery = useDeferredValue(query);
  const users = useQuery({
    ...trpc.admin.users.queryOptions({ query: deferredQuery }),
    placeholderData: keepPreviousData,
  });

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
        placeholder="name@example.com"
        className="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900"
      />
      <div className="mt-4" aria-live="polite" aria-busy={users.isFetching}>
        {users.isPending ? (
          <p className="text-sm text-slate-500">Loading users…</p>
        ) : users.isError ? (
          <LoadFailed message={users.error.message} onRetry={() => void users.refetch()} />
        ) : users.data.length === 0 ? (
          <p className="text-sm text-slate-500">No users match “{deferredQuery}”.</p>
        ) : (
          <table className="w-full text-left text-sm">
            <thead className="text-slate-500">
              <tr>
                <th scope="col" className="py-2 font-medium">
                  Email
                </th>
                <th scope="col" className="py-2 font-medium">
                  Role
                </th>
                <th scope="col" className="py-2 font-medium">
                  Joined
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {users.data.map((user) => (
                <tr key={user.id}>
                  <td className="py-2">{user.email}</td>
                  <td className="py-2">{user.role === "ADMIN" ? "Admin" : "User"}</td>
                  <td className="py-2">{dateFormat.format(user.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Card>
  );
}
