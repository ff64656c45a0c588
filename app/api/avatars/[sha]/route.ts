import { db } from "@/server/db";

/** Stored avatars by content hash: immutable, so cached for good. */
export async function GET(_request: Request, { params }: { params: Promise<{ sha: string }> }) {
  const { sha } = await params;
  if (!/^[0-9a-f]{64}$/.test(sha)) return new Response("Not found", { status: 404 });
  const avatar = await db.avatar.findUnique({ where: { sha256: sha } });
  if (!avatar) return new Response("Not found", { status: 404 });
  return new Response(new Uint8Array(avatar.data), {
    headers: { "content-type": avatar.contentType, "cache-control": "private, max-age=31536000, immutable" },
  });
}
