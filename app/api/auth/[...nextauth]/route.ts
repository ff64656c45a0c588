import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { authOptions } from "@/server/auth/options";
import { readBody } from "@/server/http/read-body";

const handler = NextAuth(authOptions);

/** Sign-in forms are small: a body past this is refused before anything reads it whole. */
const MAX_BODY_BYTES = 64 * 1024;

async function post(request: Request, context: unknown) {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === null) return Response.json({ message: "The request is too large." }, { status: 413 });
  // next-auth reads `nextUrl` (a NextRequest's) and the body as text; it gets both.
  const limited = new NextRequest(request.url, { method: "POST", headers: request.headers, body: body || null });
  return (handler as (request: Request, context: unknown) => Promise<Response>)(limited, context);
}

export { handler as GET, post as POST };
