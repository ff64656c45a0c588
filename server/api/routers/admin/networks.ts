import { z } from "zod";
import { readSuccessLastHour } from "../../../data/metrics";
import { networkHealth } from "../../../data/network-health";
import { listNetworks } from "../../../registration/networks";
import { adminProcedure } from "../../trpc";
import { ZNetworkView } from "../registration/schemas";

export const ZNetworkHealth = z.object({
  linkedAccounts: z.number(),
  failingAccounts: z.number(),
  pausedAccounts: z.number(),
  needsReauth: z.number(),
  retryingJobs: z.number(),
  quarantinedAccounts: z.number(),
  /** Delivered ÷ (delivered + failed for good) over the last hour; null when none ended. */
  successRateLastHour: z.number().nullable(),
  endedLastHour: z.number(),
});

const EMPTY_HEALTH = {
  linkedAccounts: 0,
  failingAccounts: 0,
  pausedAccounts: 0,
  needsReauth: 0,
  retryingJobs: 0,
  quarantinedAccounts: 0,
};

/** Every network with its switch, capabilities and health (read from the tables). */
export const networks = adminProcedure
  .output(z.array(ZNetworkView.extend({ health: ZNetworkHealth })))
  .query(async ({ ctx }) => {
    const [views, health, success] = await Promise.all([
      listNetworks(ctx.db),
      networkHealth(ctx.db),
      readSuccessLastHour(ctx.db),
    ]);
    return views.map((view) => {
      const { networkId: _networkId, ...figures } = health.get(view.id) ?? { networkId: view.id, ...EMPTY_HEALTH };
      const rate = success.get(view.id);
      return {
        ...view,
        health: {
          ...figures,
          successRateLastHour: rate?.successRate ?? null,
          endedLastHour: (rate?.delivered ?? 0) + (rate?.failed ?? 0),
        },
      };
    });
  });
