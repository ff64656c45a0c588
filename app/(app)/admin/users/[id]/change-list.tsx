import { DeliveryStateBadge } from "../../../../_components/delivery-state";
import { FIELD_NAMES } from "../../../../_components/mapping-notes";
import { Button, Card } from "../../../../_components/ui";
import type { TDetail, TPending } from "./user-actions";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A person's recent changes with each delivery: state, attempts, the vendor's message, Retry. */
export function ChangeList({
  changes,
  networkNames,
  isBusy,
  onAction,
}: {
  changes: TDetail["changes"];
  /** Network id → its name, for "changed inside QQ". */
  networkNames: ReadonlyMap<string, string>;
  isBusy: boolean;
  onAction: (action: TPending) => void;
}) {
  return (
    <Card>
      <h2 className="mb-3 font-semibold">Recent changes</h2>
      {changes.length === 0 ? (
        <p className="text-sm text-slate-500">No changes yet.</p>
      ) : (
        <ol className="space-y-4">
          {changes.map((change) => (
            <li key={change.id} className="border-b border-slate-200 pb-3 last:border-0 dark:border-slate-800">
              <p className="text-sm">
                <span className="font-medium">
                  {change.changedFields.map((field) => FIELD_NAMES[field]).join(", ") || "No field"}
                </span>{" "}
                <span className="text-slate-600 dark:text-slate-400">
                  changed{" "}
                  {change.source === "portal"
                    ? "in OneProfile"
                    : `inside ${networkNames.get(change.source) ?? change.source}`}{" "}
                  · {dateTime.format(change.createdAt)} · version {change.version}
                </span>
              </p>
              {change.deliveries.length > 0 && (
                <ul className="mt-2 space-y-1">
                  {change.deliveries.map((delivery) => (
                    <li
                      key={delivery.id}
                      className="flex flex-wrap items-center gap-2 text-sm"
                      data-testid={`admin-delivery-${delivery.networkId}`}
                    >
                      <span className="font-medium">{delivery.networkName}</span>
                      <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{delivery.login}</span>
                      <DeliveryStateBadge state={delivery.state} />
                      <span className="text-xs text-slate-600 dark:text-slate-400">
                        {delivery.attempts} attempt{delivery.attempts === 1 ? "" : "s"}
                      </span>
                      {delivery.lastError && (
                        <span className="text-slate-700 dark:text-slate-300" data-testid="vendor-message">
                          {delivery.lastError}
                        </span>
                      )}
                      {delivery.state === "FAILED" && (
                        <Button
                          variant="secondary"
                          className="ml-auto px-3 py-1"
                          aria-label={`Retry the delivery to ${delivery.networkName} ${delivery.login}`}
                          disabled={isBusy}
                          onClick={() =>
                            onAction({
                              kind: "retryDelivery",
                              deliveryId: delivery.id,
                              label: `${delivery.networkName} ${delivery.login}`,
                            })
                          }
                        >
                          Retry
                        </Button>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
