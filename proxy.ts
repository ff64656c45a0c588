/**
 * Runs before every page (not the API, not static files): gives the response its
 * Content-Security-Policy with a fresh script nonce, and sends signed-out visitors of app pages
 * to sign-in, remembering where they were going. The pages check the session again themselves;
 * this only adds the way back. Headers that never change are in next.config.js.
 */
import { NextResponse, type NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";
import { env } from "@/server/env";
import { createNonce, pageContentSecurityPolicy } from "@/server/http/security-headers";

/** App pages: only for a signed-in person. */
const SIGNED_IN_SECTIONS = ["/profile", "/accounts", "/activity", "/settings", "/admin"];

function needsSession(pathname: string): boolean {
  return SIGNED_IN_SECTIONS.some((section) => pathname === section || pathname.startsWith(`${section}/`));
}

export async function proxy(request: NextRequest) {
  const nonce = createNonce();
  const policy = pageContentSecurityPolicy({ nonce, isDev: env.NODE_ENV === "development" });
  let response: NextResponse;
  if (needsSession(request.nextUrl.pathname) && !(await getToken({ req: request, secret: env.NEXTAUTH_SECRET }))) {
    const url = new URL("/signin", request.url);
    url.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
    response = NextResponse.redirect(url);
  } else {
    // Next.js reads the nonce from the request's policy and puts it on the scripts it renders.
    const headers = new Headers(request.headers);
    headers.set("x-nonce", nonce);
    headers.set("Content-Security-Policy", policy);
    response = NextResponse.next({ request: { headers } });
  }
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  matcher: ["/((?!api/|_next/static/|_next/image|favicon.ico).*)"],
};
