import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/core/db/client.js';
import { migrate } from '../../../src/core/db/migrate.js';
import { runEventChannel, type RunEvent } from '../../../src/core/events/runEvents.js';
import type { RunId } from '../../../src/core/ids/ids.js';
import { createLogger } from '../../../src/core/logging/logger.js';
import { packageRoot } from '../../../src/core/paths.js';
import { cancelRun, failOrCancel, RunLifecycle } from '../../../src/core/runs/runLifecycle.js';
import { prismaSql, writeRunStatus } from '../../../src/core/runs/runStatusWriter.js';
import { RunKind, RunStatus } from '../../../src/generated/prisma/enums.js';
import type * as db from '../../../src/generated/prisma/client.js';
import { seededStats, seedModelPack } from '../../support/seed.js';
import { createTestDatabase } from '../../support/testPlatform.js';

let database: Database;
let pack: db.ModelPack;
const worker = { host: 'test-host', executionProvider: 'cpu', codeVersion: 'test' };

/** What a listener on the run-event channel hears, with the run's row as a fresh connection reads it at that moment. */
interface Heard {
  event: RunEvent;
  row: { status: string } | undefined;
}
const heard: Heard[] = [];
let listener: pg.PoolClient;

beforeAll(async () => {
  database = openDatabase(await createTestDatabase());
  await migrate(database.pool, createLogger('silent'));
  pack = await seedModelPack(database.prisma);
  listener = await database.pool.connect();
  listener.on('notification', (message) => {
    const event = JSON.parse(message.payload!) as RunEvent;
    const entry: Heard = { event, row: undefined };
    heard.push(entry);
    void database.pool
      .query<{ status: string }>('SELECT status FROM "Run" WHERE id = $1', [event.runId])
      .then((r) => (entry.row = r.rows[0]));
  });
  await listener.query(`LISTEN ${runEventChannel}`);
});
afterAll(async () => {
  listener.release();
  await database.close();
});

async function newRun(): Promise<RunId> {
  const run = await database.prisma.run.create({
    data: { kind: RunKind.LANGEVIN, parameters: {}, seed: 1n, modelPackId: pack.id, totalIterations: 3 },
  });
  return run.id as RunId;
}

async function eventsOf(runId: RunId, count: number): Promise<Heard[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mine = heard.filter((h) => h.event.runId === runId);
    if (mine.length >= count && mine.every((h) => h.row !== undefined)) return mine;
    if (Date.now() > deadline) throw new Error(`heard ${mine.length} of ${count} events of run ${runId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('RunLifecycle', () => {
  it('announces each status change once, and only once it is committed', async () => {
    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    expect((await lifecycle.markRunning(worker))?.status).toBe(RunStatus.RUNNING);
    await lifecycle.requeue();
    expect((await lifecycle.markRunning(worker))?.status).toBe(RunStatus.RUNNING);
    expect((await lifecycle.finish(RunStatus.FAILED, { error: 'boom', errorIteration: 2 }))?.status).toBe(
      RunStatus.FAILED,
    );
    const events = await eventsOf(runId, 4);
    expect(events.map((h) => h.event.status)).toEqual(['RUNNING', 'QUEUED', 'RUNNING', 'FAILED']);
    // Every listener that reads the row on hearing the event sees at least that change.
    expect(events.at(-1)!.row).toEqual({ status: 'FAILED' });
    expect(events.at(-1)!.event).toMatchObject({ type: 'status', error: 'boom' });
  });

  it('never moves a finished run: a worker finishing a run cancelled meanwhile writes and announces nothing', async () => {
    const runId = await newRun();
    const audited: string[] = [];
    const outcome = await cancelRun(database.prisma, runId, async (_tx, previous) => void audited.push(previous));
    expect(outcome.outcome).toBe('cancelled');
    expect(audited).toEqual([RunStatus.QUEUED]);
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    expect(await lifecycle.markRunning(worker)).toBeNull();
    expect(await lifecycle.finish(RunStatus.FAILED, { error: 'late' })).toBeNull();
    expect(await lifecycle.succeedWithIdentities([], { first: null, last: null, identities: 0 })).toBeNull();
    expect(await failOrCancel(database.prisma, runId, RunStatus.FAILED)).toBeNull();
    const row = await database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect([row.status, row.error]).toEqual([RunStatus.CANCELLED, null]);
    const marker = await newRun();
    await failOrCancel(database.prisma, marker, RunStatus.FAILED);
    await eventsOf(marker, 1);
    expect(heard.filter((h) => h.event.runId === runId).map((h) => h.event.status)).toEqual(['CANCELLED']);
  });

  it('asks a running run to stop instead of ending it, and refuses finished or unknown runs', async () => {
    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    await lifecycle.markRunning(worker);
    const outcome = await cancelRun(database.prisma, runId, async () => undefined);
    expect(outcome.outcome).toBe('cancel-requested');
    expect(await lifecycle.cancelRequested()).toBe(true);
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe(RunStatus.RUNNING);
    await lifecycle.finish(RunStatus.CANCELLED);
    expect(await cancelRun(database.prisma, runId, async () => undefined)).toEqual({
      outcome: 'already-finished',
      status: RunStatus.CANCELLED,
    });
    expect(
      await cancelRun(database.prisma, '00000000-0000-4000-8000-000000000000' as RunId, async () => undefined),
    ).toEqual({
      outcome: 'not-found',
    });
  });

  it('stamps who ran a run and when: start on RUNNING, end and reason on FAILED', async () => {
    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    const running = (await lifecycle.markRunning(worker))!;
    expect(running).toMatchObject({
      status: RunStatus.RUNNING,
      workerHost: 'test-host',
      executionProvider: 'cpu',
      codeVersion: 'test',
      finishedAt: null,
    });
    expect(Math.abs(running.startedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    const failed = (await lifecycle.finish(RunStatus.FAILED, { error: 'boom', errorIteration: 2 }))!;
    expect(failed).toMatchObject({ status: RunStatus.FAILED, error: 'boom', errorIteration: 2 });
    expect(failed.finishedAt!.getTime()).toBeGreaterThanOrEqual(running.startedAt!.getTime());
    expect(failed.startedAt).toEqual(running.startedAt);
  });

  it('records iterations, overwriting one recorded again, and announces each', async () => {
    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    await lifecycle.markRunning(worker);
    const stats = (propIct: number) => ({ ...seededStats, propIct });
    await lifecycle.recordIteration(0, 1, stats(0.1));
    await lifecycle.recordIteration(1, 2, stats(0.2));
    await lifecycle.recordIteration(1, 2, stats(0.3));
    const rows = await database.prisma.runIteration.findMany({ where: { runId }, orderBy: { iteration: 'asc' } });
    expect(rows.map((r) => [r.iteration, (r.stats as { propIct: number }).propIct])).toEqual([
      [0, 0.1],
      [1, 0.3],
    ]);
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).iteration).toBe(2);
    const events = (await eventsOf(runId, 4)).slice(1).map((h) => h.event);
    expect(events.map((e) => [e.type, e.iteration, e.status, e.totalIterations])).toEqual([
      ['iteration', 0, 'RUNNING', 3],
      ['iteration', 1, 'RUNNING', 3],
      ['iteration', 1, 'RUNNING', 3],
    ]);
    expect((events[2] as { stats: { propIct: number } }).stats.propIct).toBe(0.3);
  });

  it('fails to record an iteration of an unknown run, rolled back, and records the next one', async () => {
    const unknown = new RunLifecycle(database.prisma, database.pool, randomUUID() as RunId);
    await expect(unknown.recordIteration(0, 1, seededStats)).rejects.toThrow(/foreign key/);
    // The failed transaction was rolled back before its connection went back to the pool.
    const runId = await newRun();
    await new RunLifecycle(database.prisma, database.pool, runId).recordIteration(0, 1, seededStats);
    expect(await database.prisma.runIteration.count({ where: { runId } })).toBe(1);
    // A run that is not there has nothing left to do: it counts as asked to stop.
    expect(await unknown.cancelRequested()).toBe(true);
    expect(await new RunLifecycle(database.prisma, database.pool, runId).cancelRequested()).toBe(false);
  });

  it('records an iteration and advances the run together, or neither when one of them fails', async () => {
    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    await lifecycle.markRunning(worker);
    // The iteration row is written first; a counter past the integer column's range then fails the run's update.
    await expect(lifecycle.recordIteration(0, 2 ** 31, seededStats)).rejects.toThrow(/out of range/);
    expect(await database.prisma.runIteration.count({ where: { runId } })).toBe(0);
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).iteration).toBe(0);
  });

  it('leaves a column alone when a status write gives it as undefined', async () => {
    const runId = await newRun();
    await new RunLifecycle(database.prisma, database.pool, runId).markRunning(worker);
    await database.prisma.$transaction((tx) =>
      writeRunStatus(prismaSql(tx), runId, RunStatus.RUNNING, { fields: { workerHost: undefined } }),
    );
    const row = await database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(row).toMatchObject({ status: RunStatus.RUNNING, workerHost: 'test-host' });
  });

  it('succeeds a running run only, with its identities and summary in the same transaction', async () => {
    const queued = await newRun();
    const summary = { first: seededStats, last: seededStats, identities: 1 };
    const identity = (runId: RunId) => ({
      runId,
      index: 0,
      latent: new Uint8Array(16),
      embedding: new Uint8Array(12),
      imageKey: `sha256/${'0'.repeat(64)}`,
      imageSha256: '0'.repeat(64),
    });
    const notStarted = new RunLifecycle(database.prisma, database.pool, queued);
    expect(await notStarted.succeedWithIdentities([identity(queued)], summary)).toBeNull();
    expect(await database.prisma.identity.count({ where: { runId: queued } })).toBe(0);

    const runId = await newRun();
    const lifecycle = new RunLifecycle(database.prisma, database.pool, runId);
    await lifecycle.markRunning(worker);
    // A reason left from an earlier attempt goes when the run succeeds.
    await database.prisma.run.update({ where: { id: runId }, data: { error: 'crashed', errorIteration: 1 } });
    const done = (await lifecycle.succeedWithIdentities([identity(runId)], summary))!;
    expect(done).toMatchObject({ status: RunStatus.SUCCEEDED, error: null, errorIteration: null });
    expect(done.finishedAt).not.toBeNull();
    expect(done.summary).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(await database.prisma.identity.count({ where: { runId } })).toBe(1);
  });

  it('ends a run cancelled while queued at once, marked as asked to stop', async () => {
    const runId = await newRun();
    const outcome = await cancelRun(database.prisma, runId, async () => undefined);
    expect(outcome.outcome).toBe('cancelled');
    const row = await database.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(row).toMatchObject({ status: RunStatus.CANCELLED, cancelRequested: true, startedAt: null });
    expect(row.finishedAt).not.toBeNull();
  });

  it('writes nothing when what goes with the change fails', async () => {
    const runId = await newRun();
    await expect(
      cancelRun(database.prisma, runId, async () => {
        throw new Error('audit failed');
      }),
    ).rejects.toThrow('audit failed');
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe(RunStatus.QUEUED);
  });
});

describe('the one owner of run status', () => {
  it('is the only source file that writes Run.status', () => {
    const writers: string[] = [];
    const visit = (dir: string): void => {
      for (const entry of readdirSync(join(packageRoot, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (entry.name !== 'generated') visit(path);
        } else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(join(packageRoot, path), 'utf8');
          const prismaWrite = /\.run\.(update|updateMany|upsert)\(\{[\s\S]{0,400}?\bdata:\s*\{[^}]*\bstatus\b/.test(
            text,
          );
          // Up to the WHERE of each statement: RETURNING status reads, it does not write.
          const sqlWrite = [...text.matchAll(/UPDATE\s+"Run"\s+SET\b([\s\S]*?)\bWHERE\b/gi)].some((m) =>
            /\bstatus\s*=/.test(m[1]!),
          );
          const statusSetter = /['"`]status = \$\d/.test(text) && /UPDATE\s+"Run"\s+SET/.test(text);
          if (prismaWrite || sqlWrite || statusSetter) writers.push(path);
        }
      }
    };
    visit('src');
    visit('services');
    expect(writers).toEqual(['src/core/runs/runStatusWriter.ts']);
  });
});
