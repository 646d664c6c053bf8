import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/core/db/client.js';
import { migrate } from '../../../src/core/db/migrate.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { keptCheckpointKey, keptShardCheckpointKey, runPrefix } from '../../../src/core/store/keys.js';
import { keptCheckpoints } from '../../../src/core/verification/trajectory.js';
import { createTestDatabase } from '../../support/testPlatform.js';

let database: Database;
beforeAll(async () => {
  database = openDatabase(await createTestDatabase());
  await migrate(database.pool, createLogger('warn'));
});
afterAll(async () => database?.close());

const digest = (n: number) => n.toString(16).padStart(64, '0');

describe('keptCheckpoints', () => {
  it("finds a run's kept checkpoints among many objects through the key-prefix index", async () => {
    const runIds = Array.from({ length: 40 }, () => randomUUID());
    const rows = runIds.flatMap((runId, r) => [
      ...Array.from({ length: 100 }, (_, i) => ({
        key: `${runPrefix(runId)}images/${i}.png`,
        sha256: digest(i),
        size: 1n,
      })),
      { key: keptCheckpointKey(runId, 50), sha256: digest(r), size: 8n },
      { key: keptShardCheckpointKey(runId, 1, 25), sha256: digest(r + 1), size: 8n },
      { key: keptCheckpointKey(runId, 10), sha256: digest(r + 2), size: 8n },
    ]);
    await database.prisma.storedObject.createMany({ data: rows });
    await database.pool.query('ANALYZE "StoredObject"');

    const runId = runIds[7]!;
    expect(await keptCheckpoints(database.prisma, runId)).toEqual([
      { key: keptCheckpointKey(runId, 10), sha256: digest(9), shardIndex: null, iteration: 10 },
      { key: keptCheckpointKey(runId, 50), sha256: digest(7), shardIndex: null, iteration: 50 },
      { key: keptShardCheckpointKey(runId, 1, 25), sha256: digest(8), shardIndex: 1, iteration: 25 },
    ]);

    // The statement Prisma sends for `startsWith`, planned with its value as Prisma's unnamed statements are.
    const plan = await database.pool.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN SELECT "key", "sha256" FROM "StoredObject" WHERE "key" LIKE $1',
      [`${runPrefix(runId)}%`],
    );
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(text, text).toContain('StoredObject_key_pattern_idx');
  });
});
