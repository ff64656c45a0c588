/** A delivery's state as a badge, the same on Activity and the admin pages. */
import { cx } from "./ui";

export type TDeliveryState = "QUEUED" | "SENDING" | "DELIVERED" | "RETRYING" | "FAILED" | "SKIPPED" | "SUPERSEDED";

export const DELIVERY_STATES: Record<TDeliveryState, { label: string; className: string }> = {
  QUEUED: { label: "Queued", className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300" },
  SENDING: { label: "Sending", className: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300" },
  DELIVERED: {
    label: "Delivered",
    className: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  },
  RETRYING: { label: "Will retry", className: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-300" },
  FAILED: { label: "Failed", className: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300" },
  SKIPPED: { label: "Skipped", className: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300" },
  SUPERSEDED: { label: "Superseded", className: "bg-slate-200 text-slate-600 dark:bg-slate-800 dark:text-slate-400" },
};

export function DeliveryStateBadge({ state }: { state: TDeliveryState }) {
  const { label, className } = DELIVERY_STATES[state];
  return (
    <span
      className={cx("inline-flex rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap", className)}
      data-state={state}
    >
      {label}
    </span>
  );
}
