/**
 * tRPC: context, initialisation and the three kinds of procedure. The only place that maps
 * domain errors to tRPC codes.
 */
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Session } from "next-auth";
import { getServerAuthSession } from "../auth/options";
import { processConnectors } from "../connectors/process";
import { processKeyring } from "../crypto/keyring";
import type { TRegistrationDeps } from "../registration/deps";
import { db } from "../db";
import { DomainError, type TDomainErrorCode } from "../domain-error";
import { logError } from "../log";

export interface TContext extends TRegistrationDeps {
  session: Session | null;
  headers: Headers;
}

export async function createTRPCContext(opts: { headers: Headers }): Promise<TContext> {
  // A session that cannot be checked (database unreachable) is a 503, not "signed out" (401).
  const session = await getServerAuthSession(
    (cause) => new TRPCError({ code: "SERVICE_UNAVAILABLE", message: cause.message, cause }),
  );
  return { db, connectors: processConnectors(), keyring: processKeyring(), session, headers: opts.headers };
}

const DOMAIN_TO_TRPC: Record<TDomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_INPUT: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  VENDOR_REJECTED: "UNPROCESSABLE_CONTENT",
  VENDOR_UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

const GENERIC_MESSAGE = "Something went wrong on our side. Please try again.";
const UNSTORABLE_MESSAGE = "Some of what you sent cannot be stored. Please remove unusual characters and try again.";

/**
 * Whether the database refused a value itself: SQLSTATE class 22, "data exception" (a NUL byte,
 * half a surrogate pair in JSON, a malformed uuid, a number out of range). Such a value came from
 * the request, so the caller gets a 400, not a 500; the schemas should have refused it with a
 * clearer message, so it is still logged.
 */
function isValueRefusedByDatabase(error: unknown): boolean {
  const sqlState = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta
    ?.driverAdapterError?.cause?.originalCode;
  return typeof sqlState === "string" && sqlState.startsWith("22");
}

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const isInput = error.cause instanceof ZodError;
    const isInternal = error.code === "INTERNAL_SERVER_ERROR";
    const domainField = error.cause instanceof DomainError ? error.cause.field : undefined;
    // No stack traces and no internals reach the browser, in any environment.
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: isInput ? "Please check the highlighted fields." : isInternal ? GENERIC_MESSAGE : shape.message,
      data: {
        ...data,
        fieldErrors: isInput
          ? (z.flattenError(error.cause as ZodError).fieldErrors as Record<string, string[]>)
          : domainField
            ? { [domainField]: [error.message] }
            : null,
      },
    };
  },
});

/** Turns a DomainError thrown by the core into the matching TRPCError; logs the unexpected. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof DomainError) {
      throw new TRPCError({ code: DOMAIN_TO_TRPC[cause.code], message: cause.message, cause });
    }
    if (isValueRefusedByDatabase(cause)) {
      logError(`tRPC ${path}: a value the database refused`, cause, "warn");
      throw new TRPCError({ code: "BAD_REQUEST", message: UNSTORABLE_MESSAGE, cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      logError(`tRPC ${path}`, cause ?? result.error);
    }
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(errorMapping);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session?.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in to continue." });
  }
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/** Admins only. The role is read from the database, so a demotion takes effect at once. */
export const adminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.db.user.findUnique({ where: { id: ctx.session.user.id }, select: { role: true } });
  if (user?.role !== "ADMIN") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This needs an administrator account." });
  }
  return next();
});
