import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditProgressEvent } from '../../../src/core/events/auditEvents.js';
import { EventHub, runEventTopic } from '../../../src/core/events/eventHub.js';
import { publishRunEvent, runEventChannel, type RunEvent } from '../../../src/core/events/runEvents.js';
import type { AuditId, RunId } from '../../../src/core/ids/ids.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { createTestDatabase } from '../../support/testPlatform.js';
import { waitFor } from '../../support/workerProcess.js';

let pool: pg.Pool;
const hub = new EventHub();

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase() });
  await hub.listen(pool, createLogger('silent'));
});
afterAll(async () => {
  await hub.stop();
  await pool.end();
});

const event = (runId: string, iteration: number): RunEvent => ({
  type: 'status',
  runId: runId as RunId,
  status: 'RUNNING',
  iteration,
  totalIterations: 10,
  error: null,
});

describe('EventHub', () => {
  it("delivers NOTIFYs of one run to that run's subscribers, in order", async () => {
    const mine = hub.subscribe(runEventTopic, 'run-a');
    for (let i = 0; i < 3; i++) {
      await publishRunEvent(pool, event('run-b', i));
      await publishRunEvent(pool, event('run-a', i));
    }
    const received = [];
    for (let i = 0; i < 3; i++) received.push((await mine.next()).value as RunEvent);
    await mine.return!();
    expect(received.map((e) => [e.runId, e.iteration])).toEqual([
      ['run-a', 0],
      ['run-a', 1],
      ['run-a', 2],
    ]);
  });

  it('listens again after its connection is killed', async () => {
    const all = hub.subscribe(runEventTopic);
    const listening = async () =>
      (
        await pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE query = $1 AND state = 'idle' AND pid <> pg_backend_pid()`,
          [`LISTEN ${runEventChannel}`],
        )
      ).rows.map((r) => r.pid);
    const [before] = await listening();
    expect(before).toEqual(expect.any(Number));
    const killed = await pool.query('SELECT pg_terminate_backend($1)', [before]);
    expect(killed.rowCount).toBe(1);
    // The hub's new connection has run its LISTEN: from then on it hears every NOTIFY.
    await waitFor(
      async () => (await listening()).some((pid) => pid !== before),
      30_000,
      'the hub to listen again on a new connection',
    );
    await publishRunEvent(pool, event('run-c', 7));
    const next = await all.next();
    await all.return!();
    expect((next.value as RunEvent).runId).toBe('run-c');
  });

  it('reads back the state of watched audits when its connection comes back, since their events were lost', async () => {
    const asked: string[][] = [];
    const auditHub = new EventHub();
    await auditHub.listen(pool, createLogger('silent'), {
      audits: async (auditIds) => {
        asked.push(auditIds);
        return auditIds.map((auditId) => ({
          auditId: auditId as AuditId,
          status: 'RUNNING',
          shardsDone: 2,
          shardCount: 3,
          error: null,
        }));
      },
    });
    const watched = auditHub.auditEvents('audit-x');
    try {
      const killed = await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
        [`LISTEN ${runEventChannel}`],
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(1);
      const next = await watched.next();
      expect(next.value as AuditProgressEvent).toEqual({
        auditId: 'audit-x',
        status: 'RUNNING',
        shardsDone: 2,
        shardCount: 3,
        error: null,
      });
      expect(asked).toContainEqual(['audit-x']);
    } finally {
      await watched.return!();
      await auditHub.stop();
    }
  });
});
