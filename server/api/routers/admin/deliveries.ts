import { z } from "zod";
import { listDeliveryLog } from "../../../data/deliveries";
import { DeliveryState } from "../../../generated/prisma/enums";
import { adminProcedure } from "../../trpc";
import { ZCursor, ZPageLimit } from "./schemas";

export const ZDeliveryState = z.enum(DeliveryState);

export const ZDeliveryLogRow = z.object({
  id: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  state: ZDeliveryState,
  networkId: z.string(),
  networkName: z.string(),
  userId: z.string(),
  userEmail: z.string(),
  login: z.string(),
  fields: z.array(z.string()),
  attempts: z.number(),
  lastError: z.string().nullable(),
  deliveredAt: z.date().nullable(),
  nextAttemptAt: z.date(),
  version: z.number(),
  source: z.string(),
});

export const ZDeliveryLogInput = z
  .object({
    networkId: z.string().trim().min(1).max(32, "Unknown network.").optional(),
    state: ZDeliveryState.optional(),
    userId: z.uuid("Unknown person.").optional(),
    /** The person's exact email, any case. */
    email: z.string().trim().toLowerCase().max(254).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
    cursor: ZCursor.nullish(),
    limit: ZPageLimit,
  })
  .refine((input) => !input.from || !input.to || input.from <= input.to, {
    message: "The start of the time range must not be after its end.",
    path: ["to"],
  });

/** Every delivery, newest first: filter by network, state, person (id or exact email) and time range. */
export const deliveries = adminProcedure
  .input(ZDeliveryLogInput)
  .output(z.object({ rows: z.array(ZDeliveryLogRow), nextCursor: ZCursor.nullable() }))
  .query(({ ctx, input }) => {
    const { cursor, email, ...filter } = input;
    return listDeliveryLog(ctx.db, { ...filter, ...(email ? { email } : {}), ...(cursor ? { cursor } : {}) });
  });
