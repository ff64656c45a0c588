/**
 * Where to go after sign-in or sign-up: a path on this portal, or the profile. The value is
 * resolved the way a browser would (WHATWG URL: tabs and newlines dropped, backslashes read as
 * slashes, dot segments removed) against the portal's origin, and followed only when it stays
 * on that origin; the normalised path is returned, never the raw value. Any origin serves as
 * the base: a value that resolves to a different one names another site, whatever ours is.
 */
const PORTAL = "http://oneprofile.invalid";
const DEFAULT_PATH = "/profile";

export function safeCallbackUrl(value: string | string[] | undefined | null): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return DEFAULT_PATH;
  let url: URL;
  try {
    url = new URL(raw, PORTAL);
  } catch {
    return DEFAULT_PATH;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "//host" would be read as another origin when the browser follows the path we return.
  if (url.origin !== PORTAL || !path.startsWith("/") || path.startsWith("//")) return DEFAULT_PATH;
  return path;
}
