/**
 * The delivery log's filters live in the URL, so a filtered view can be linked to
 * (`/admin/deliveries?user=<id>`, `?network=qq&state=FAILED`). Times are ISO instants there, so a
 * link means the same moment wherever it is opened; the form shows them in local time.
 */
import { DELIVERY_STATES, type TDeliveryState } from "../../../_components/delivery-state";

export interface TLogSearch {
  network?: string;
  state?: string;
  /** The person's id. */
  user?: string;
  /** The person's exact email. */
  email?: string;
  /** ISO instants: created at or after `from`, at or before `to`. */
  from?: string;
  to?: string;
}

export const LOG_SEARCH_KEYS = ["network", "state", "user", "email", "from", "to"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NETWORK_ID = /^[a-z0-9_-]{1,32}$/i;

const isState = (value: string | undefined): value is TDeliveryState => Object.hasOwn(DELIVERY_STATES, value ?? "");

function instant(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

export const RANGE_ERROR = "The start of the time range must not be after its end.";

/**
 * The procedure's input from the search parameters. Anything malformed is dropped, not an error;
 * a range that ends before it starts is reported (`rangeError`) and not asked for.
 */
export function logInput(search: TLogSearch) {
  const from = instant(search.from);
  const to = instant(search.to);
  const email = search.email?.trim().slice(0, 254);
  return {
    input: {
      ...(search.network && NETWORK_ID.test(search.network) ? { networkId: search.network } : {}),
      ...(isState(search.state) ? { state: search.state } : {}),
      ...(search.user && UUID.test(search.user) ? { userId: search.user } : {}),
      ...(email ? { email } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    rangeError: from && to && from > to ? RANGE_ERROR : null,
  };
}

/** The search parameters of a URLSearchParams-like source (a repeated one counts once). */
export function logSearchOf(get: (key: string) => string | null | undefined): TLogSearch {
  return Object.fromEntries(
    LOG_SEARCH_KEYS.map((key) => [key, get(key) ?? undefined]).filter((entry) => entry[1]),
  ) as TLogSearch;
}

/** `YYYY-MM-DDTHH:mm` in local time, for a datetime-local input. */
export function toLocalInput(iso: string | undefined): string {
  const time = instant(iso);
  if (!time) return "";
  return new Date(time.getTime() - time.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * An instant from a datetime-local value (local time). The end of the range covers its whole
 * minute: "to 10:30" includes 10:30:59.
 */
export function fromLocalInput(value: string, edge: "start" | "end"): string | undefined {
  if (!value) return undefined;
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) return undefined;
  return new Date(edge === "end" ? time + 59_999 : time).toISOString();
}
