/**
 * Sends signed-out visitors of app pages to sign-in, remembering where they were going. The
 * pages check the session again themselves; this only adds the way back.
 */
import { NextResponse, type NextRequest } from "next/server";
import { getToken } from "next-auth/jwt";
import { env } from "@/server/env";

export async function proxy(request: NextRequest) {
  const token = await getToken({ req: request, secret: env.NEXTAUTH_SECRET });
  if (token) return NextResponse.next();
  const url = new URL("/signin", request.url);
  url.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(url);
}

export const config = {
  matcher: ["/profile/:path*", "/accounts/:path*", "/activity/:path*", "/admin/:path*"],
};
