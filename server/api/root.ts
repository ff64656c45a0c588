import { adminRouter } from "./routers/admin/router";
import { authRouter } from "./routers/auth/router";
import { activityRouter } from "./routers/activity/router";
import { profileRouter } from "./routers/profile/router";
import { registrationRouter } from "./routers/registration/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  admin: adminRouter,
  registration: registrationRouter,
  profile: profileRouter,
  activity: activityRouter,
});

export type AppRouter = typeof appRouter;

/** A server-side caller, for React Server Components and tests. */
export const createCaller = createCallerFactory(appRouter);
