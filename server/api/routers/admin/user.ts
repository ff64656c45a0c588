import { z } from "zod";
import { userDetail } from "../../../data/user-detail";
import { adminProcedure } from "../../trpc";
import { ZActivity } from "../profile/schemas";
import { ZAccountStatus } from "../registration/schemas";
import { ZAuditRow } from "./schemas";

const ZSync = z.object({ avatar: z.boolean(), displayName: z.boolean(), signature: z.boolean(), mood: z.boolean() });

/** One person for support: linked accounts (never credentials), recent changes and deliveries, audit. */
export const user = adminProcedure
  .input(z.object({ userId: z.uuid("Unknown user.") }))
  .output(
    z.object({
      user: z.object({ id: z.string(), email: z.string(), role: z.enum(["USER", "ADMIN"]), createdAt: z.date() }),
      accounts: z.array(
        z.object({
          id: z.string(),
          networkId: z.string(),
          networkName: z.string(),
          login: z.string(),
          status: ZAccountStatus,
          isPaused: z.boolean(),
          pausedAt: z.date().nullable(),
          consecutiveFailures: z.number(),
          failedDeliveries: z.number(),
          sync: ZSync,
          lastDeliveredAt: z.date().nullable(),
          readAt: z.date().nullable(),
          verifiedAt: z.date(),
          createdAt: z.date(),
        }),
      ),
      changes: ZActivity,
      audit: z.array(ZAuditRow),
    }),
  )
  .query(({ ctx, input }) => userDetail(ctx.db, input.userId));
