/**
 * The runs table sorted on the server (`runs(orderBy:)`, src/runs/runList.ts): one page of 20
 * runs, first and 50 pages deep (by cursor), in every order, against the default order (newest
 * first) in the same process as the baseline. Embedded Postgres in a scratch folder, seeded with
 * BENCH_RUNS runs (default 20,000) of which one in 20 holds BENCH_IDENTITIES identities (default 500).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/core/db/client.js';
import { migrate } from '../src/core/db/migrate.js';
import { createLogger } from '../src/core/logging/logger.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { PackStatus, RunKind, RunStatus } from '../src/generated/prisma/enums.js';
import { countRuns, cursorKey, listRuns, RunOrderField, type RunPosition } from '../src/runs/runList.js';
import type { BenchReport } from './report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20_000);
const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 500);
const PAGE = 20;
const DEEP = 50;
const REPEATS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const dataDir = await mkdtemp(join(tmpdir(), 'brownian-bench-order-'));
  // Run as root, the embedded PostgreSQL's own user must be able to enter the folder.
  await chmod(dataDir, 0o755);
  const log = createLogger('warn');
  const postgres = await startEmbeddedPostgres(dataDir, log);
  const database = openDatabase(postgres.url);
  const rows: Array<Record<string, string | number>> = [];
  try {
    await migrate(database.pool, log);
    const { prisma } = database;
    const packs = await Promise.all(
      ['alpha', 'beta', 'gamma'].map((name, i) =>
        prisma.modelPack.create({
          data: {
            name,
            digest: String(i).repeat(64),
            manifest: { name },
            storagePrefix: `packs/${i}/`,
            latentDim: 4,
            embeddingDim: 3,
            status: PackStatus.READY,
          },
        }),
      ),
    );
    const statuses = Object.values(RunStatus);
    const base = Date.parse('2026-01-01T00:00:00Z');
    const runs = Array.from({ length: RUNS }, (_, i) => {
      const status = statuses[i % statuses.length]!;
      const started = status === RunStatus.QUEUED ? null : new Date(base + i * 60_000);
      return {
        kind: i % 3 === 0 ? RunKind.DISPERSION : RunKind.LANGEVIN,
        status,
        parameters: {},
        seed: BigInt(i),
        modelPackId: packs[i % packs.length]!.id,
        totalIterations: 10 + (i % 97),
        iteration: i % 50,
        createdAt: new Date(base + i * 60_000),
        startedAt: started,
        finishedAt: started && status !== RunStatus.RUNNING ? new Date(started.getTime() + (i % 613) * 1000) : null,
      };
    });
    for (let i = 0; i < runs.length; i += 5000) await prisma.run.createMany({ data: runs.slice(i, i + 5000) });
    const withIdentities = (await prisma.run.findMany({ select: { id: true } })).filter((_, i) => i % 20 === 0);
    const bytes = new Uint8Array(16);
    for (const run of withIdentities) {
      await prisma.identity.createMany({
        data: Array.from({ length: IDENTITIES }, (_, index) => ({
          runId: run.id,
          index,
          latent: bytes,
          embedding: bytes,
          imageKey: 'k',
          imageSha256: '0'.repeat(64),
        })),
      });
    }
    await database.pool.query('ANALYZE');

    const timePage = async (field: RunOrderField, position: RunPosition | undefined) => {
      const started = performance.now();
      const [page] = await Promise.all([
        listRuns(prisma, {}, { field, direction: 'DESC' }, { direction: 'forward', limit: PAGE + 1 }, position),
        countRuns(prisma, {}),
      ]);
      return { ms: performance.now() - started, page };
    };
    let baseline = { first: 0, deep: 0 };
    for (const field of Object.values(RunOrderField)) {
      // Walk DEEP pages once to find the cursor position of the deep page, then time both pages.
      let position: RunPosition | undefined;
      for (let p = 0; p < DEEP; p++) {
        const last = (await timePage(field, position)).page[PAGE - 1]!;
        position = { key: cursorKey(last), id: last.id };
      }
      const first: number[] = [];
      const deep: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        first.push((await timePage(field, undefined)).ms);
        deep.push((await timePage(field, position)).ms);
      }
      const figures = { first: median(first), deep: median(deep) };
      if (field === RunOrderField.CREATED_AT) baseline = figures;
      rows.push({
        orderBy: field === RunOrderField.CREATED_AT ? `${field} (baseline)` : field,
        firstPageMs: Math.round(figures.first * 10) / 10,
        firstPageRatio: Math.round((figures.first / baseline.first) * 100) / 100,
        [`page${DEEP + 1}Ms`]: Math.round(figures.deep * 10) / 10,
        [`page${DEEP + 1}Ratio`]: Math.round((figures.deep / baseline.deep) * 100) / 100,
      });
    }
  } finally {
    await database.close();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    name: 'runs table orders',
    rows,
    notes: [
      `${RUNS} runs, ${RUNS / 20} of them with ${IDENTITIES} identities each; pages of ${PAGE} newest-first (DESC), ` +
        `with the total count; medians of ${REPEATS} after one walk to page ${DEEP + 1}; listRuns called directly (no HTTP).`,
      'Every order but CREATED_AT computes its key for every row that passes the filter (no index on the ' +
        "expressions); IDENTITIES counts each run's identities through the (runId, index) index.",
      `load average of the machine (1 min): ${Math.round(loadBefore * 10) / 10} at the start, ` +
        `${Math.round(loadavg()[0]! * 10) / 10} at the end, on 2 cores`,
    ],
  };
}
