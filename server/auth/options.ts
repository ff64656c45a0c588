/** next-auth (v4): email + password credentials, JWT sessions carrying the user's id and role. */
import type { NextAuthOptions } from "next-auth";
import { getServerSession } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { connection } from "next/server";
import { db } from "../db";
import { DomainError } from "../domain-error";
import { env } from "../env";
import { logError } from "../log";
import type { Role } from "../generated/prisma/enums";
import { ZSignInInput } from "./schemas";
import { signIn } from "./users";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; role: Role };
  }
  interface User {
    id: string;
    email: string;
    role: Role;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid: string;
    role: Role;
  }
}

/** The client's address as the proxy in front of us reports it; only the first hop counts. */
function clientIp(headers: Record<string, string | string[] | undefined> | undefined): string {
  const forwarded = headers?.["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  const real = headers?.["x-real-ip"];
  return first || (Array.isArray(real) ? real[0] : real) || "unknown";
}

export const authOptions: NextAuthOptions = {
  get secret() {
    return env.NEXTAUTH_SECRET;
  },
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/signin" },
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
        try {
          return await signIn(db, { ...parsed.data, ip: clientIp(req?.headers) });
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
    jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.role = user.role;
      }
      return token;
    },
    session({ session, token }) {
      session.user = { id: token.uid, email: token.email ?? "", role: token.role };
      return session;
    },
  },
};

/**
 * The signed-in user's session in server components, route handlers and tRPC. Anything that
 * reads it renders per request, never at build time.
 */
export async function getServerAuthSession() {
  await connection();
  return getServerSession(authOptions);
}
