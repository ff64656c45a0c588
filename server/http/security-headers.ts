/**
 * The Content-Security-Policy of the portal's pages (set per request by proxy.ts). Scripts run
 * only with this response's nonce (Next.js puts it on its own scripts when the request carries
 * the policy) or when loaded by such a script ('strict-dynamic'); nothing may frame the portal.
 * Styles may be inline: React and Radix set `style` attributes, and a style cannot run code.
 */
export function pageContentSecurityPolicy(options: { nonce: string; isDev: boolean }): string {
  return [
    "default-src 'self'",
    // React's development build evaluates code for its error overlay and call stacks.
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    // Avatars are served by the portal; a picked file is previewed from a blob or data URL.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A fresh, unguessable nonce for one response. */
export function createNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18))));
}
