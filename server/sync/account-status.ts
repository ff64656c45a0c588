/**
 * Whether an account takes part in syncing, in one place. Only an active account is sent changes,
 * read back or counted as a source of genuine changes; an inactive one still records what it
 * shows (its vendor's marks), and owes the profile when it is active again. Pure.
 */
export type TAccountStatus = "active" | "needs_reauth" | "paused" | "disabled";

export function effectiveStatus(row: {
  status: "ACTIVE" | "NEEDS_REAUTH";
  pausedAt: Date | null;
  network: { isEnabled: boolean };
}): TAccountStatus {
  // A network switched off by an admin disables its accounts, whatever their own state. A refused
  // password comes before support's pause: it is the one the person can act on (re-linking does
  // not lift the pause; the person sees "paused" next).
  if (!row.network.isEnabled) return "disabled";
  if (row.status === "NEEDS_REAUTH") return "needs_reauth";
  return row.pausedAt !== null ? "paused" : "active";
}

export function isAccountActive(row: Parameters<typeof effectiveStatus>[0]): boolean {
  return effectiveStatus(row) === "active";
}
