/** The Prisma client (PostgreSQL through @prisma/adapter-pg; no native query engine). */
import { PrismaPg } from "@prisma/adapter-pg";
import { env } from "./env";
import { PrismaClient } from "./generated/prisma/client";

export type TDb = PrismaClient;
/** The client inside an interactive transaction. */
export type TTx = Omit<TDb, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/** A client for one database; scripts and tests use it with the URL they started. */
export function createDb(connectionString: string): TDb {
  // Under load a transaction may wait for a pooled connection or a user's row lock longer than
  // Prisma's defaults (2 s / 5 s); a slow commit is better than a failed save.
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString }),
    transactionOptions: { maxWait: 10_000, timeout: 30_000 },
  });
}

// One client per process, also across Next.js dev hot reloads.
const globalForPrisma = globalThis as unknown as { oneprofilePrisma?: TDb };

function processDb(): TDb {
  if (globalForPrisma.oneprofilePrisma) return globalForPrisma.oneprofilePrisma;
  if (!env.DATABASE_URL) {
    throw new Error(
      "DATABASE_URL is not set. Start OneProfile with `npm run dev` or `npm start`; they start embedded Postgres when it is unset.",
    );
  }
  return (globalForPrisma.oneprofilePrisma = createDb(env.DATABASE_URL));
}

/**
 * The process's client, created on first use (so `next build` can import modules without a
 * database).
 */
export const db: TDb = new Proxy({} as TDb, {
  get(_target, key) {
    const client = processDb();
    const value = Reflect.get(client, key, client) as unknown;
    return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(client) : value;
  },
});
