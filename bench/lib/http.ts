/**
 * `profile.update` through the portal's real HTTP endpoint: a production build (the portal's server)
 * on the bench's database, people signed in through next-auth's own credentials flow, and
 * autocannon offering a fixed rate of tRPC calls (each from one of the signed-in people, in turn,
 * each changing the signature, so each makes a revision and a delivery per linked account). No
 * worker runs meanwhile: what is measured is the request path, not the fan-out.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { NEXT_BIN, PORTAL_SERVER } from "../../scripts/lib/run-next";
import { spawnTs } from "../../scripts/lib/spawn-ts";
import { hashPassword } from "../../server/auth/password";
import type { TKeyring } from "../../server/crypto/secrets";
import { freePort } from "../../server/database/embedded";
import type { TDb } from "../../server/db";
import { childEnv } from "../../server/env";
import { clearBacklog, seedBacklog } from "./backlog";
import { percentiles, type TPercentiles } from "./steady";

export interface THttpResult {
  rate: number;
  seconds: number;
  requests: number;
  latencyMs: TPercentiles;
  errors: number;
  non2xx: number;
}

const PASSWORD = "bench-portal-password";

/** `next build`, unless `reuse` and a build is there. */
export function buildPortal(reuse: boolean): void {
  if (reuse && existsSync(path.join(process.cwd(), ".next", "BUILD_ID"))) return;
  const result = spawnSync(process.execPath, [NEXT_BIN, "build"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: childEnv({ NEXT_TELEMETRY_DISABLED: "1" }),
  });
  if (result.status !== 0) throw new Error(`next build failed (${result.status})`);
}

/** Signs in through next-auth's credentials flow; returns the session cookie. */
async function signIn(base: string, email: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = csrf.headers.getSetCookie().map((cookie) => cookie.split(";")[0]);
  const answer = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password: PASSWORD, json: "true" }),
  });
  const session = answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0]!)
    .find((cookie) => cookie.includes("session-token="));
  if (!session) throw new Error(`bench: signing in ${email} failed (${answer.status})`);
  return session;
}

export async function measureProfileUpdates(options: {
  db: TDb;
  databaseUrl: string;
  keyring: TKeyring;
  keyringSecret: string;
  people: number;
  rates: readonly number[];
  seconds: number;
}): Promise<THttpResult[]> {
  const { db } = options;
  await clearBacklog(db);
  await seedBacklog(db, options.keyring, { people: options.people, isEmpty: true, tag: "http" });
  // One password for everyone (hashed once): signing in is not what is measured.
  await db.$executeRaw`UPDATE users SET password_hash = ${await hashPassword(PASSWORD)}`;
  const emails = (await db.user.findMany({ select: { email: true } })).map((user) => user.email);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The portal's own server, as `npm start` runs it (it sets the client address, among others).
  const server = spawnTs(
    PORTAL_SERVER,
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: childEnv({
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        LOG_LEVEL: "warn",
        DATABASE_URL: options.databaseUrl,
        NEXTAUTH_URL: base,
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        ONEPROFILE_ENCRYPTION_KEY: options.keyringSecret,
        SANDBOX_WEBHOOK_SECRET: randomBytes(24).toString("base64url"),
      }),
    },
    ["start", String(port), "127.0.0.1"],
  );
  try {
    // Polled until it answers: the server is up when its health check says the database answers.
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the portal's server exited with ${server.exitCode}`);
      const ok = await fetch(`${base}/api/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const sessions: string[] = [];
    for (const email of emails) sessions.push(await signIn(base, email));

    const results: THttpResult[] = [];
    let sent = 0;
    for (const rate of options.rates) {
      const latencies: number[] = [];
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${base}/api/trpc/profile.update`,
            method: "POST",
            connections: 32,
            overallRate: rate,
            duration: options.seconds,
            requests: [
              {
                setupRequest: (request) => {
                  sent += 1;
                  return {
                    ...request,
                    headers: { "content-type": "application/json", cookie: sessions[sent % sessions.length]! },
                    body: JSON.stringify({ json: { signature: `http ${sent}` } }),
                  };
                },
              },
            ],
          },
          (error, done) => (error ? reject(error as Error) : resolve(done)),
        );
        instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
      });
      results.push({
        rate,
        seconds: options.seconds,
        requests: result.requests.total,
        latencyMs: percentiles(latencies.map((ms) => Math.round(ms * 10) / 10)),
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
      });
    }
    return results;
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once("exit", resolve)));
  }
}
