import { createHash } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createEmptyDatabase } from "../../test/database";
import { migrate, readMigrations } from "./migrate";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migrate", () => {
  it("applies every migration once, recording it as Prisma does", async () => {
    const url = await createEmptyDatabase();
    const migrations = readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    expect(await migrate(url)).toEqual(migrations.map((m) => m.name));
    expect(await migrate(url)).toEqual([]);

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const sha = createHash("sha256").update(migrations[i]!.sql).digest("hex");
      expect(row.checksum).toBe(sha);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("lets two processes start together: the advisory lock makes them take turns", async () => {
    const url = await createEmptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const appliedCounts = results.map((names) => names.length).sort();
    expect(appliedCounts).toEqual([0, 0, readMigrations().length]);
    const [{ count }] = (await query<{ count: string }>(url, `SELECT count(*) FROM "_prisma_migrations"`)) as [
      { count: string },
    ];
    expect(Number(count)).toBe(readMigrations().length);
  });

  it("refuses a migration edited after it was applied", async () => {
    const url = await createEmptyDatabase();
    await migrate(url);
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    await expect(migrate(url, edited)).rejects.toThrow(/edited after it was applied/);
  });

  it("rolls a failing migration back whole and records nothing", async () => {
    const url = await createEmptyDatabase();
    const broken = [
      ...readMigrations(),
      {
        name: "29990101000000_broken",
        sql: `CREATE TABLE "half" (id int); SELECT * FROM "missing_table";`,
        checksum: "x",
      },
    ];
    await expect(migrate(url, broken)).rejects.toThrow(/29990101000000_broken failed/);
    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_name = 'half'`,
    );
    expect(tables).toEqual([]);
    expect(await migrate(url)).toEqual([]);
  });
});
