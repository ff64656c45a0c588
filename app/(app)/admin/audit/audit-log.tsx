"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "../../../_components/trpc-provider";
import { Button, Card, LoadFailed } from "../../../_components/ui";
import { AUDIT_ACTION_LABELS, AuditList } from "../_components/audit-list";
import { auditInput, type TAuditSearch } from "./audit-input";

export function AuditLog({ initial }: { initial: TAuditSearch }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const [email, setEmail] = useState(initial.email ?? "");
  const [action, setAction] = useState(initial.action ?? "");
  const search: TAuditSearch = { ...initial, email: useDeferredValue(email), action };
  const log = useInfiniteQuery({
    ...trpc.admin.audit.infiniteQueryOptions(auditInput(search), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
    placeholderData: keepPreviousData,
  });
  const rows = log.data?.pages.flatMap((page) => page.rows) ?? [];
  const update = (next: TAuditSearch) => {
    const params = new URLSearchParams(
      Object.entries({ ...initial, ...next }).filter((entry): entry is [string, string] => Boolean(entry[1])),
    );
    router.replace(params.size > 0 ? `${pathname}?${params}` : pathname, { scroll: false });
  };

  return (
    <Card>
      <form className="flex flex-wrap items-end gap-3" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="min-w-56 flex-1">
          <label htmlFor="audit-email" className="block text-sm font-medium">
            Actor’s or person’s email
          </label>
          <input
            id="audit-email"
            type="search"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            // The URL (a link to this view) follows when the field is left, not on every keystroke.
            onBlur={() => update({ email })}
            placeholder="part of an email"
            className="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        <div>
          <label htmlFor="audit-action" className="block text-sm font-medium">
            Action
          </label>
          <select
            id="audit-action"
            value={action}
            onChange={(event) => {
              setAction(event.target.value);
              update({ action: event.target.value });
            }}
            className="mt-1 block rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
          >
            <option value="">Any action</option>
            {Object.entries(AUDIT_ACTION_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {(initial.actor || initial.subject) && (
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              setEmail("");
              setAction("");
              router.replace(pathname);
            }}
          >
            Show everyone
          </Button>
        )}
      </form>
      <div className="mt-4" aria-live="polite" aria-busy={log.isFetching}>
        {log.isPending ? (
          <p className="text-sm text-slate-500">Loading the audit log…</p>
        ) : log.isError ? (
          <LoadFailed message={log.error.message} onRetry={() => void log.refetch()} />
        ) : rows.length === 0 ? (
          <p className="text-sm text-slate-500">No entries match these filters.</p>
        ) : (
          <AuditList rows={rows} />
        )}
      </div>
      {log.hasNextPage && (
        <div className="mt-4">
          <Button variant="secondary" isBusy={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
