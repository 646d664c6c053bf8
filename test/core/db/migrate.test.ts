import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../src/core/db/migrate.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { createTestDatabase } from '../../support/testPlatform.js';

describe('migrate', () => {
  it("applies the committed migrations once, in Prisma's history table", async () => {
    const pool = new pg.Pool({ connectionString: await createTestDatabase() });
    const log = createLogger('silent');
    try {
      const first = await migrate(pool, log);
      expect(first.length).toBeGreaterThan(0);
      expect(await migrate(pool, log)).toEqual([]);
      const history = await pool.query(
        'SELECT migration_name, finished_at, checksum FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(history.rows.map((r) => r.migration_name)).toEqual(first);
      expect(history.rows.every((r) => r.finished_at !== null && /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
      const tables = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          'Run',
          'RunIteration',
          'Identity',
          'Sample',
          'ModelPack',
          'Gallery',
          'LeakageAudit',
          'ApiKey',
        ]),
      );
    } finally {
      await pool.end();
    }
  });

  it('applies concurrently started migrations only once', async () => {
    const url = await createTestDatabase();
    const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, createLogger('silent'))));
      expect(results.flat().length).toBe(results[0]!.length + results[1]!.length);
      expect(Math.min(results[0]!.length, results[1]!.length)).toBe(0);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});
