import type pg from 'pg';
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
import { RunKind, RunStatus } from '../../../src/generated/prisma/enums.js';
import type * as db from '../../../src/generated/prisma/client.js';
import { seedModelPack } from '../../support/seed.js';
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
