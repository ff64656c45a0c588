/**
 * next-auth (v4): email + password credentials, JWT sessions carrying the user's id, role and
 * session version. Every read of a session checks the version against the database, so "sign
 * out everywhere", a password change and a change of role end old sessions at once. When the
 * check cannot be made (the database is unreachable), the session is kept but not trusted: pages
 * show a "temporarily unavailable" error and tRPC answers 503, nobody is signed out.
 */
import type { NextAuthOptions } from "next-auth";
import { getServerSession, type Session } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { cookies } from "next/headers";
import { connection } from "next/server";
import { cache } from "react";
import { db as processDb, type TDb } from "../db";
import { DomainError } from "../domain-error";
import { env } from "../env";
import { clientAddress } from "../http/client-address";
import { logError, logger } from "../log";
import type { Role } from "../generated/prisma/enums";
import { cookieFrom, DEVICE_COOKIE_MAX_AGE_S, deviceCookieName } from "./device-cookie";
import { ZSignInInput } from "./schemas";
import { sessionUser, signIn } from "./users";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; role: Role };
    /** Set when the session could not be checked against the database: never to be trusted. */
    unverified?: true;
  }
  interface User {
    id: string;
    email: string;
    role: Role;
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid: string;
    role: Role;
    /** users.session_version when the session began. */
    sv: number;
    /** The last check against the database failed (it was unreachable); checked again next time. */
    unverified?: true;
  }
}

/** Thrown by the jwt callback for a session that has ended; next-auth then answers "no session". */
class SessionEndedError extends Error {
  constructor() {
    super("The session has ended.");
    this.name = "SessionEndedError";
  }
}

/** The session could not be checked (the database is unreachable); the page shows error.tsx. */
export class SessionUnavailableError extends Error {
  constructor() {
    super("Signing in is temporarily unavailable. Please try again in a moment.");
    this.name = "SessionUnavailableError";
  }
}

export interface TCookieToSet {
  name: string;
  value: string;
  options: { httpOnly: true; sameSite: "lax"; secure: boolean; path: "/"; maxAge: number };
}

export interface TAuthDeps {
  db: TDb;
  /** Adds a cookie to the response of the request being handled. */
  setCookie: (cookie: TCookieToSet) => Promise<void>;
}

/** Served over HTTPS: decided as next-auth decides for its own cookies. */
const isSecure = () => env.NEXTAUTH_URL?.startsWith("https://") ?? false;

/**
 * The portal's public origin (NEXTAUTH_URL's), or undefined when it is not configured. next-auth
 * makes callback URLs absolute on it; safeCallbackUrl follows those.
 */
export function portalOrigin(): string | undefined {
  return env.NEXTAUTH_URL ? new URL(env.NEXTAUTH_URL).origin : undefined;
}

/** The options with their dependencies; tests pass their own database and cookie jar. */
export function createAuthOptions({ db, setCookie }: TAuthDeps): NextAuthOptions {
  return {
    get secret() {
      return env.NEXTAUTH_SECRET;
    },
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    // next-auth's own pages (error, sign-out) are never shown: errors land on our sign-in page.
    pages: { signIn: "/signin", error: "/signin" },
    logger: {
      error(code, metadata) {
        if (metadata instanceof SessionEndedError) return;
        logError(`next-auth ${code}`, metadata);
      },
      warn(code) {
        logger.warn({ where: "next-auth" }, `next-auth warning ${code}`);
      },
      debug() {},
    },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const parsed = ZSignInInput.safeParse(credentials ?? {});
          if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "Enter your email and password.");
          const name = deviceCookieName(isSecure());
          try {
            const { user, deviceCookie } = await signIn(db, {
              ...parsed.data,
              ip: clientAddress(req?.headers),
              deviceCookie: presentedDeviceCookie(req?.headers?.cookie as string | undefined),
            });
            await setCookie({
              name,
              value: deviceCookie,
              options: {
                httpOnly: true,
                sameSite: "lax",
                secure: isSecure(),
                path: "/",
                maxAge: DEVICE_COOKIE_MAX_AGE_S,
              },
            });
            return user;
          } catch (error) {
            // next-auth hands an Error's message to the sign-in form; only ours are fit to show.
            if (error instanceof DomainError) throw new Error(error.message);
            logError("sign-in", error);
            throw new Error("Sign-in is unavailable right now. Please try again in a moment.");
          }
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          token.uid = user.id;
          token.role = user.role;
          token.sv = user.sessionVersion;
          return token;
        }
        // Any throw here makes next-auth clear the session cookie: only for a session that ended.
        const current = await sessionUser(db, token.uid, token.sv).catch((error: unknown) => {
          logError("session check", error);
          return "unavailable" as const;
        });
        if (current === "unavailable") return { ...token, unverified: true };
        if (!current) throw new SessionEndedError();
        delete token.unverified;
        token.role = current.role;
        token.email = current.email;
        return token;
      },
      session({ session, token }) {
        session.user = { id: token.uid, email: token.email ?? "", role: token.role };
        if (token.unverified) session.unverified = true;
        return session;
      },
    },
  };
}

export const authOptions: NextAuthOptions = createAuthOptions({
  db: processDb,
  // Inside the route handler next-auth runs in, cookies() adds to the response it returns.
  async setCookie({ name, value, options }) {
    (await cookies()).set(name, value, options);
  },
});

/** The device cookie a request presented (its Cookie header), if any. */
export function presentedDeviceCookie(cookieHeader: string | string[] | null | undefined): string | undefined {
  return cookieFrom(cookieHeader ?? undefined, deviceCookieName(isSecure()));
}

/** One check against the database per request, however many layouts and pages ask. */
const readSession = cache(async (): Promise<Session | null> => {
  await connection();
  return getServerSession(authOptions);
});

/**
 * The signed-in user's session in server components, route handlers and tRPC, or null when
 * there is none or it has ended. Anything that reads it renders per request. When the session
 * cannot be checked, throws `unavailable(new SessionUnavailableError())` (by default that error,
 * which renders error.tsx; tRPC passes its own 503).
 */
export async function getServerAuthSession(
  unavailable: (cause: SessionUnavailableError) => Error = (cause) => cause,
): Promise<Session | null> {
  const session = await readSession();
  if (session?.unverified) throw unavailable(new SessionUnavailableError());
  return session;
}
