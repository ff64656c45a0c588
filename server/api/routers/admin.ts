import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../trpc";
import { listUsers } from "../../auth/users";
import { listNetworks, setNetworkEnabled } from "../../registration/networks";
import { ZNetworkView } from "./registration/schemas";

const ZUserRow = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(["USER", "ADMIN"]),
  createdAt: z.date(),
});

export const adminRouter = createTRPCRouter({
  /** Users, newest first, optionally filtered by part of the email. */
  users: adminProcedure
    .input(z.object({ query: z.string().trim().max(254).default("") }))
    .output(z.array(ZUserRow))
    .query(({ ctx, input }) => listUsers(ctx.db, input.query)),

  networks: adminProcedure.output(z.array(ZNetworkView)).query(({ ctx }) => listNetworks(ctx.db)),

  /** Switches a network on or off: off means no new links and no syncing for its accounts. */
  setNetworkEnabled: adminProcedure
    .input(z.object({ networkId: z.string().min(1), isEnabled: z.boolean() }))
    .output(ZNetworkView)
    .mutation(({ ctx, input }) => setNetworkEnabled(ctx.db, ctx.session.user.id, input.networkId, input.isEnabled)),
});
