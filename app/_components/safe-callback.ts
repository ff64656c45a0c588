/**
 * Where to go after sign-in or sign-up: a path on this portal, or the profile. The value is
 * resolved the way a browser would (WHATWG URL: tabs and newlines dropped, backslashes read as
 * slashes, dot segments removed) against the portal's origin, and followed only when it stays
 * on that origin; the normalised path is returned, never the raw value. Any origin serves as
 * the base for relative values: a value that resolves to a different one names another site,
 * whatever ours is. An absolute URL is followed when its origin is the portal's own (next-auth
 * sends absolute callback URLs): `ownOrigin`, by default the page's own in the browser; on the
 * server pass the portal's public origin (NEXTAUTH_URL's).
 */
const PORTAL = "http://oneprofile.invalid";
const DEFAULT_PATH = "/profile";

/** The origin of `value` when it is an http(s) URL; otherwise null (an opaque origin never matches). */
function httpOrigin(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

export function safeCallbackUrl(
  value: string | string[] | undefined | null,
  ownOrigin: string | undefined = typeof window === "undefined" ? undefined : window.location.origin,
): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return DEFAULT_PATH;
  let url: URL;
  try {
    url = new URL(raw, PORTAL);
  } catch {
    return DEFAULT_PATH;
  }
  const isOwnOrigin = url.origin === PORTAL || url.origin === httpOrigin(ownOrigin);
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "//host" would be read as another origin when the browser follows the path we return; a
  // path without "/" is what blob: and other non-hierarchical URLs have.
  if (!isOwnOrigin || !path.startsWith("/") || path.startsWith("//")) return DEFAULT_PATH;
  return path;
}
