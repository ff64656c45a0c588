/** Test helpers: a fresh, migrated database per test file, in the run's temporary cluster. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { createDb, type TDb } from "../server/db";
import { prepareDatabase } from "../server/database/prepare";

/** Creates an empty database and returns its URL. */
export async function createEmptyDatabase(): Promise<string> {
  const clusterUrl = inject("clusterUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh migrated database with a Prisma client, closed after the file's tests. */
export async function setupTestDb(): Promise<{ db: TDb; url: string }> {
  const url = await createEmptyDatabase();
  await prepareDatabase(url);
  const db = createDb(url);
  afterAll(() => db.$disconnect());
  return { db, url };
}
