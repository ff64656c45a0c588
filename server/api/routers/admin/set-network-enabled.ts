import { z } from "zod";
import { setNetworkEnabled as setEnabled } from "../../../registration/networks";
import { adminProcedure } from "../../trpc";
import { ZNetworkView } from "../registration/schemas";
import { ZReason } from "./schemas";

/** Switches a network on or off: off means no new links and no syncing for its accounts. */
export const setNetworkEnabled = adminProcedure
  .input(z.object({ networkId: z.string().min(1).max(64), isEnabled: z.boolean(), reason: ZReason }))
  .output(ZNetworkView)
  .mutation(({ ctx, input }) =>
    setEnabled(ctx.db, ctx.session.user.id, input.networkId, input.isEnabled, input.reason),
  );
