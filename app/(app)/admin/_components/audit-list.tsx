import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";

type TAuditRow = inferRouterOutputs<AppRouter>["admin"]["audit"]["rows"][number];

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Each action in words; the code name is shown beside it for searching. */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  "user.signup": "Signed up",
  "user.role": "Role changed",
  "account.link": "Linked an account",
  "account.unlink": "Unlinked an account",
  "account.relink": "Signed an account in again",
  "network.enable": "Switched a network on",
  "network.disable": "Switched a network off",
  "admin.delivery.retry": "Retried a delivery",
  "admin.deliveries.retry_failed": "Retried all failed deliveries",
  "admin.account.pause": "Paused an account",
  "admin.account.resume": "Resumed an account",
  "admin.account.resend": "Resent the profile",
};

function Person({
  id,
  email,
  isDeleted,
  fallback,
}: {
  id: string | null;
  email: string | null;
  isDeleted: boolean;
  fallback: string;
}) {
  if (id === null) return <span className="text-slate-600 dark:text-slate-400">{fallback}</span>;
  if (isDeleted) return <span className="text-slate-600 italic dark:text-slate-400">deleted user</span>;
  return (
    <Link href={`/admin/users/${id}`} className="text-indigo-700 hover:underline dark:text-indigo-300">
      {email}
    </Link>
  );
}

/** Detail values worth showing, never ids the page already links. */
function detailText(details: Record<string, unknown>): string {
  const { reason: _reason, accountId: _accountId, accountIds, ...rest } = details;
  const parts = Object.entries(rest).map(
    ([key, value]) => `${key}: ${Array.isArray(value) ? value.join(", ") : String(value)}`,
  );
  if (Array.isArray(accountIds)) parts.push(`${accountIds.length} account${accountIds.length === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

export function AuditList({ rows }: { rows: TAuditRow[] }) {
  if (rows.length === 0) return <p className="text-sm text-slate-500">Nothing recorded yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="audit-rows">
        <thead className="text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-3 font-medium">
              When
            </th>
            <th scope="col" className="py-2 pr-3 font-medium">
              What
            </th>
            <th scope="col" className="py-2 pr-3 font-medium">
              Who
            </th>
            <th scope="col" className="py-2 pr-3 font-medium">
              About
            </th>
            <th scope="col" className="py-2 font-medium">
              Reason and details
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {rows.map((row) => {
            const reason = typeof row.details.reason === "string" ? row.details.reason : null;
            const details = detailText(row.details);
            return (
              <tr key={row.id} data-action={row.action}>
                <td className="py-2 pr-3 whitespace-nowrap">{dateTime.format(row.createdAt)}</td>
                <td className="py-2 pr-3">
                  {AUDIT_ACTION_LABELS[row.action] ?? row.action}
                  <span className="block font-mono text-xs text-slate-500">{row.action}</span>
                </td>
                <td className="py-2 pr-3">
                  <Person
                    id={row.actorId}
                    email={row.actorEmail}
                    isDeleted={row.isActorDeleted}
                    fallback="support command"
                  />
                </td>
                <td className="py-2 pr-3">
                  <Person
                    id={row.subjectId}
                    email={row.subjectEmail}
                    isDeleted={row.isSubjectDeleted}
                    fallback={`${row.targetType} ${row.targetId}`}
                  />
                </td>
                <td className="py-2">
                  {reason && <span className="block">“{reason}”</span>}
                  {details && <span className="block text-xs text-slate-600 dark:text-slate-400">{details}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
