/** The actions support takes on a person's page, and how each is asked for. */
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type TDetail = inferRouterOutputs<AppRouter>["admin"]["user"];
export type TAccount = TDetail["accounts"][number];

/** The action waiting for its reason. */
export type TPending =
  | { kind: "retryDelivery"; deliveryId: string; label: string }
  | { kind: "retryFailed"; count: number }
  | { kind: "pause" | "resume" | "resend"; account: TAccount };

export function describeAction(pending: TPending): { title: string; description: string; confirm: string } {
  switch (pending.kind) {
    case "retryDelivery":
      return {
        title: `Retry the delivery to ${pending.label}?`,
        description: "The account is sent the person's current profile now, with a fresh set of attempts.",
        confirm: "Retry",
      };
    case "retryFailed":
      return {
        title: `Retry all ${pending.count} failed deliveries?`,
        description: "Every account with a failed delivery that can be sent to now gets the current profile.",
        confirm: "Retry all",
      };
    case "pause":
      return {
        title: `Pause ${pending.account.networkName} ${pending.account.login}?`,
        description:
          "Nothing is sent to this account until support resumes it; changes made in it are recorded, not passed on. The person sees “Paused by support” and cannot resume it.",
        confirm: "Pause",
      };
    case "resume":
      return {
        title: `Resume ${pending.account.networkName} ${pending.account.login}?`,
        description: "The account is read back and sent whatever differs from the current profile.",
        confirm: "Resume",
      };
    case "resend":
      return {
        title: `Resend the profile to ${pending.account.networkName} ${pending.account.login}?`,
        description:
          "OneProfile first reads what the account really shows, then sends every field that differs from the current profile.",
        confirm: "Resend",
      };
  }
}
