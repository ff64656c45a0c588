import { adminRouter } from "./routers/admin";
import { authRouter } from "./routers/auth";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;

/** A server-side caller, for React Server Components and tests. */
export const createCaller = createCallerFactory(appRouter);
