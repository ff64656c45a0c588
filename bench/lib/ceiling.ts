/**
 * The ceiling: the least work a delivery needs from Postgres — claim a due row with
 * `FOR UPDATE SKIP LOCKED` and mark it done — in plain SQL over `connections` connections, one
 * statement per batch of `batch` rows. What the dispatcher is measured against.
 */
import pg from "pg";

export async function measureCeiling(
  databaseUrl: string,
  options: { rows: number; batch: number; connections: number },
): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.connections });
  try {
    await pool.query(`DROP TABLE IF EXISTS bench_ceiling`);
    await pool.query(`
      CREATE TABLE bench_ceiling (
        id bigserial PRIMARY KEY, state text NOT NULL DEFAULT 'PENDING',
        run_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)`);
    await pool.query(`INSERT INTO bench_ceiling (run_at) SELECT now() FROM generate_series(1, $1)`, [options.rows]);
    await pool.query(`CREATE INDEX ON bench_ceiling (state, run_at)`);
    await pool.query(`ANALYZE bench_ceiling`);
    const started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        for (;;) {
          const result = await pool.query(
            `UPDATE bench_ceiling SET state = 'DONE', finished_at = now()
             WHERE id IN (SELECT id FROM bench_ceiling WHERE state = 'PENDING' AND run_at <= now()
                          ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED)`,
            [options.batch],
          );
          if (!result.rowCount) return;
          done += result.rowCount;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await pool.query(`DROP TABLE bench_ceiling`);
    return done / seconds;
  } finally {
    await pool.end();
  }
}
