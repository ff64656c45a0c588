import { activityEvents } from "../../../profile/activity-events";
import { protectedProcedure } from "../../trpc";

/** Ticks whenever one of the user's updates or deliveries changes (SSE). */
export const onChange = protectedProcedure.subscription(({ ctx, signal }) =>
  activityEvents(ctx.session.user.id, signal),
);
