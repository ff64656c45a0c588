import { FIELD_NAMES } from "../../../../_components/mapping-notes";
import { Button, Card } from "../../../../_components/ui";
import type { TAccount, TPending } from "./user-actions";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STATUS_LABELS: Record<TAccount["status"], string> = {
  active: "Active",
  needs_reauth: "Needs re-auth",
  paused: "Paused by support",
  disabled: "Network off",
};

/** A person's linked accounts as support sees them (never credentials), with pause/resume and resend. */
export function AccountsTable({
  accounts,
  isBusy,
  onAction,
}: {
  accounts: TAccount[];
  isBusy: boolean;
  onAction: (action: TPending) => void;
}) {
  return (
    <Card>
      <h2 className="mb-3 font-semibold">Linked accounts</h2>
      {accounts.length === 0 ? (
        <p className="text-sm text-slate-500">No linked accounts.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="admin-accounts">
            <thead className="text-slate-500">
              <tr>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Account
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Status
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Syncs
                </th>
                <th scope="col" className="py-2 pr-3 font-medium">
                  Last delivered
                </th>
                <th scope="col" className="py-2 pr-3 text-right font-medium">
                  Failures in a row
                </th>
                <th scope="col" className="py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {accounts.map((account) => (
                <tr key={account.id} data-testid={`admin-account-${account.networkId}`}>
                  <td className="py-2 pr-3">
                    <span className="font-medium">{account.networkName}</span>{" "}
                    <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{account.login}</span>
                  </td>
                  <td className="py-2 pr-3 whitespace-nowrap">{STATUS_LABELS[account.status]}</td>
                  <td className="py-2 pr-3">
                    {(Object.keys(account.sync) as Array<keyof typeof account.sync>)
                      .filter((field) => account.sync[field])
                      .map((field) => FIELD_NAMES[field])
                      .join(", ") || "nothing"}
                  </td>
                  <td className="py-2 pr-3 whitespace-nowrap">
                    {account.lastDeliveredAt ? dateTime.format(account.lastDeliveredAt) : "never"}
                  </td>
                  <td className="py-2 pr-3 text-right tabular-nums">{account.consecutiveFailures}</td>
                  <td className="py-2">
                    <div className="flex justify-end gap-2">
                      <Button
                        variant="secondary"
                        className="px-3 py-1"
                        disabled={isBusy}
                        aria-label={`${account.isPaused ? "Resume" : "Pause"} ${account.networkName} ${account.login}`}
                        onClick={() => onAction({ kind: account.isPaused ? "resume" : "pause", account })}
                      >
                        {account.isPaused ? "Resume" : "Pause"}
                      </Button>
                      <Button
                        variant="secondary"
                        className="px-3 py-1"
                        disabled={isBusy || account.status !== "active"}
                        aria-label={`Resend the profile to ${account.networkName} ${account.login}`}
                        onClick={() => onAction({ kind: "resend", account })}
                      >
                        Resend profile
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
