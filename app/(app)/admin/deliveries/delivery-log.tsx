"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, useSyncExternalStore, type FormEvent } from "react";
import { DELIVERY_STATES, DeliveryStateBadge } from "../../../_components/delivery-state";
import { FIELD_NAMES } from "../../../_components/mapping-notes";
import { useTRPC } from "../../../_components/trpc-provider";
import { Alert, Button, Card, LoadFailed } from "../../../_components/ui";
import { fromLocalInput, LOG_SEARCH_KEYS, logInput, toLocalInput, type TLogSearch } from "./log-search";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const FIELD_CLASS =
  "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900";

const fieldName = (field: string) => FIELD_NAMES[field as keyof typeof FIELD_NAMES] ?? field;
const noSubscription = () => () => {};

/**
 * Support's delivery log: a page at a time, newest first. The filters start from the URL and are
 * written back to it as they change (so the view can be linked to); the page remounts this with a
 * new `initial` when someone navigates to another filtered view.
 */
export function DeliveryLog({ initial }: { initial: TLogSearch }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const [search, setSearch] = useState(initial);
  const { input, rangeError } = logInput(search);
  // Times in the form are local: the server does not know the browser's time zone, so they are
  // filled in once the page is running in the browser.
  const isBrowser = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const networks = useQuery(trpc.admin.networks.queryOptions());
  const log = useInfiniteQuery({
    ...trpc.admin.deliveries.infiniteQueryOptions(input, {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
    placeholderData: keepPreviousData,
    enabled: !rangeError,
  });
  const rows = log.data?.pages.flatMap((page) => page.rows) ?? [];
  const [email, setEmail] = useState(search.email ?? "");

  /** Applies filters and mirrors them in the URL. Replaced, not pushed: Back leaves the log. */
  const update = (next: Partial<TLogSearch>) => {
    const merged: TLogSearch = { ...search, ...next };
    const params = new URLSearchParams();
    for (const key of LOG_SEARCH_KEYS) if (merged[key]) params.set(key, merged[key]);
    setSearch(Object.fromEntries(params) as TLogSearch);
    window.history.replaceState(null, "", params.size > 0 ? `${pathname}?${params}` : pathname);
  };
  const onEmailSubmit = (event: FormEvent) => {
    event.preventDefault();
    // An email names the person instead of a linked id.
    update({ email: email.trim() || undefined, user: undefined });
  };
  const hasFilters = LOG_SEARCH_KEYS.some((key) => search[key]);
  const personEmail = input.userId ? rows.find((row) => row.userId === input.userId)?.userEmail : undefined;

  return (
    <Card>
      <form
        role="search"
        aria-label="Filter deliveries"
        onSubmit={onEmailSubmit}
        className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto] lg:items-end"
      >
        <div>
          <label htmlFor="log-network" className="block text-sm font-medium">
            Network
          </label>
          <select
            id="log-network"
            value={search.network ?? ""}
            onChange={(event) => update({ network: event.target.value || undefined })}
            className={FIELD_CLASS}
          >
            <option value="">Any network</option>
            {networks.data?.map((network) => (
              <option key={network.id} value={network.id}>
                {network.displayName}
              </option>
            ))}
            {/* A linked network that is not (or not yet) in the list still shows as chosen. */}
            {search.network && networks.data && !networks.data.some((network) => network.id === search.network) && (
              <option value={search.network}>{search.network}</option>
            )}
          </select>
        </div>
        <div>
          <label htmlFor="log-state" className="block text-sm font-medium">
            State
          </label>
          <select
            id="log-state"
            value={input.state ?? ""}
            onChange={(event) => update({ state: event.target.value || undefined })}
            className={FIELD_CLASS}
          >
            <option value="">Any state</option>
            {Object.entries(DELIVERY_STATES).map(([state, { label }]) => (
              <option key={state} value={state}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="log-email" className="block text-sm font-medium">
            Person’s email
          </label>
          <input
            id="log-email"
            type="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            onBlur={() => {
              if (email.trim() !== (search.email ?? "")) update({ email: email.trim() || undefined, user: undefined });
            }}
            placeholder="exact email, Enter to apply"
            autoComplete="off"
            className={FIELD_CLASS}
          />
        </div>
        <div>
          <label htmlFor="log-from" className="block text-sm font-medium">
            From
          </label>
          <input
            id="log-from"
            type="datetime-local"
            value={isBrowser ? toLocalInput(search.from) : ""}
            onChange={(event) => update({ from: fromLocalInput(event.target.value, "start") })}
            className={FIELD_CLASS}
          />
        </div>
        <div>
          <label htmlFor="log-to" className="block text-sm font-medium">
            To
          </label>
          <input
            id="log-to"
            type="datetime-local"
            value={isBrowser ? toLocalInput(search.to) : ""}
            onChange={(event) => update({ to: fromLocalInput(event.target.value, "end") })}
            aria-invalid={rangeError ? true : undefined}
            aria-describedby={rangeError ? "log-range-error" : undefined}
            className={FIELD_CLASS}
          />
        </div>
        <div className="flex gap-2">
          <Button type="submit" variant="secondary">
            Apply
          </Button>
          {hasFilters && (
            <Button
              type="button"
              variant="secondary"
              onClick={() => {
                setEmail("");
                update(Object.fromEntries(LOG_SEARCH_KEYS.map((key) => [key, undefined])));
              }}
            >
              Clear
            </Button>
          )}
        </div>
      </form>

      {input.userId && (
        <p className="mt-3 text-sm text-slate-600 dark:text-slate-400" data-testid="log-person">
          One person’s deliveries{personEmail ? `: ${personEmail}` : ""}.{" "}
          <Link
            href={`/admin/users/${input.userId}`}
            className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
          >
            Open their page
          </Link>
        </p>
      )}

      <div className="mt-4" aria-live="polite" aria-busy={log.isFetching}>
        {rangeError ? (
          <div id="log-range-error">
            <Alert>{rangeError}</Alert>
          </div>
        ) : log.isPending ? (
          <p className="text-sm text-slate-500 dark:text-slate-400">Loading deliveries…</p>
        ) : log.isError ? (
          <LoadFailed message={log.error.message} onRetry={() => void log.refetch()} />
        ) : rows.length === 0 ? (
          <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="log-empty">
            No deliveries match these filters.
          </p>
        ) : (
          // Wide: on a narrow screen the table scrolls sideways inside the card, not the page.
          <div className="-mx-6 overflow-x-auto px-6" tabIndex={0} role="region" aria-label="Deliveries">
            <table className="w-full text-left text-sm" data-testid="delivery-log">
              <thead className="text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Time
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Person
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Network
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    Fields
                  </th>
                  <th scope="col" className="py-2 pr-3 font-medium">
                    State
                  </th>
                  <th scope="col" className="py-2 pr-3 text-right font-medium">
                    Attempts
                  </th>
                  <th scope="col" className="py-2 font-medium">
                    Vendor’s message
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {rows.map((row) => (
                  <tr key={row.id} data-state={row.state} className="align-top">
                    <td className="py-2 pr-3 whitespace-nowrap tabular-nums">
                      <time dateTime={row.createdAt.toISOString()} suppressHydrationWarning>
                        {dateTime.format(row.createdAt)}
                      </time>
                    </td>
                    <td className="py-2 pr-3">
                      <Link
                        href={`/admin/users/${row.userId}`}
                        className="font-medium whitespace-nowrap text-indigo-700 hover:underline dark:text-indigo-300"
                      >
                        {row.userEmail}
                      </Link>
                    </td>
                    <td className="py-2 pr-3">
                      <span className="font-medium">{row.networkName}</span>
                      <span className="block font-mono text-xs whitespace-nowrap text-slate-600 dark:text-slate-400">
                        {row.login}
                      </span>
                    </td>
                    <td className="py-2 pr-3">
                      {row.fields.map(fieldName).join(", ") || "—"}
                      <span className="block text-xs whitespace-nowrap text-slate-600 dark:text-slate-400">
                        v{row.version} · {row.source === "portal" ? "from OneProfile" : `from ${row.source}`}
                      </span>
                    </td>
                    <td className="py-2 pr-3">
                      <DeliveryStateBadge state={row.state} />
                    </td>
                    <td className="py-2 pr-3 text-right tabular-nums">{row.attempts}</td>
                    <td className="min-w-48 py-2 text-slate-700 dark:text-slate-300" data-testid="vendor-message">
                      {row.lastError ?? <span className="text-slate-400 dark:text-slate-500">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {!rangeError && log.hasNextPage && (
        <div className="mt-4">
          <Button variant="secondary" isBusy={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            Load more
          </Button>
        </div>
      )}
    </Card>
  );
}
