import { findAvatar } from "@/server/profile/queries";

/** Stored avatars by content hash: immutable, so cached for good. */
export async function GET(_request: Request, { params }: { params: Promise<{ sha: string }> }) {
  const { sha } = await params;
  const avatar = await findAvatar(sha);
  if (!avatar) return new Response("Not found", { status: 404 });
  return new Response(avatar.data, {
    headers: { "content-type": avatar.contentType, "cache-control": "private, max-age=31536000, immutable" },
  });
}
