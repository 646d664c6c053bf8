/**
 * Provenance documents of a dataset (BENCH_PROV_IDENTITIES identities × BENCH_PROV_VARIATIONS
 * samples, defaults 500 × 16): the streaming writers the export job uses (PROV-JSON spooled per
 * kind, PROV-N line by line, rows read in batches of 500) against the in-memory PROV-JSON build
 * that provenance(id) does, in the same process, on an embedded Postgres in a scratch folder.
 * Peak live heap is sampled after a full collection every 100 ms; the ratio is what streaming saves.
 */
import { constants } from 'node:buffer';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../src/core/config/config.js';
import type { PrismaClient } from '../src/core/db/client.js';
import { jsonColumn } from '../src/core/db/json.js';
import { createLogger } from '../src/core/logging/logger.js';
import { ProvenanceGraph, ProvenanceSubjectKind } from '../src/core/provenance/provenanceGraph.js';
import { collectProvJson, streamProvJson } from '../src/core/provenance/provJson.js';
import { streamProvN } from '../src/core/provenance/provN.js';
import { PackStatus, RunKind, RunStatus } from '../src/generated/prisma/enums.js';
import { startPlatform } from '../src/platform/platform.js';
import { miniPackFiles } from '../services/worker/src/pack/builtin/index.js';
import type { BenchReport } from './report.js';

const identities = Number(process.env.BENCH_PROV_IDENTITIES ?? 500);
const variations = Number(process.env.BENCH_PROV_VARIATIONS ?? 16);
const shardSize = 16;

async function seedDataset(prisma: PrismaClient): Promise<string> {
  const mini = miniPackFiles();
  const pack = await prisma.modelPack.create({
    data: {
      name: 'bench',
      digest: mini.digest,
      manifest: jsonColumn(mini.manifest),
      storagePrefix: `packs/${mini.digest}/`,
      latentDim: 32,
      embeddingDim: 32,
      status: PackStatus.READY,
    },
  });
  const common = { status: RunStatus.SUCCEEDED, modelPackId: pack.id, totalIterations: 1, iteration: 1, seed: 1n };
  const langevin = await prisma.run.create({
    data: {
      ...common,
      kind: RunKind.LANGEVIN,
      parameters: {},
      workerHost: 'h',
      codeVersion: 'bench',
      executionProvider: 'cpu',
    },
  });
  const dispersion = await prisma.run.create({
    data: { ...common, kind: RunKind.DISPERSION, parameters: {}, parentRunId: langevin.id, workerHost: 'h' },
  });
  // Rows are generated in SQL: 640,000 samples go in within a minute rather than an hour of
  // client-side batches. Latents and embeddings are 32 floats' worth of distinct bytes; digests are
  // distinct hex strings (nothing here hashes them).
  await prisma.$executeRaw`
    INSERT INTO "Identity" ("id", "runId", "index", "latent", "embedding", "imageKey", "imageSha256")
    SELECT gen_random_uuid(), ${langevin.id}::uuid, g, decode(lpad(to_hex(g), 256, '0'), 'hex'),
           decode(lpad(to_hex(g + 1), 256, '0'), 'hex'), 'sha256/' || lpad(to_hex(g), 64, '0'), lpad(to_hex(g), 64, '0')
    FROM generate_series(0, ${identities - 1}) AS g`;
  const dataset = await prisma.dataset.create({
    data: {
      name: 'bench',
      digest: '1'.padStart(64, '0'),
      manifestKey: 'datasets/bench.json',
      identityCount: identities,
      sampleCount: identities * variations,
      runs: { create: [{ runId: dispersion.id }] },
    },
  });
  await prisma.$executeRaw`
    INSERT INTO "RunShard" ("id", "runId", "index", "identityIndices", "status", "workerHost")
    SELECT gen_random_uuid(), ${dispersion.id}::uuid, s, '{}', 'SUCCEEDED', 'h'
    FROM generate_series(0, ${Math.ceil(identities / shardSize) - 1}) AS s`;
  await prisma.$executeRaw`
    INSERT INTO "Sample" ("id", "identityId", "runId", "shardId", "label", "variation", "latent", "embedding",
                          "imageKey", "imageSha256")
    SELECT gen_random_uuid(), i."id", ${dispersion.id}::uuid, sh."id", i."index", v,
           decode(lpad(to_hex(i."index" * ${variations} + v), 256, '0'), 'hex'),
           decode(lpad(to_hex(i."index" * ${variations} + v + 1), 256, '0'), 'hex'),
           'sha256/' || lpad(to_hex(${identities} + i."index" * ${variations} + v), 64, '0'),
           lpad(to_hex(${identities} + i."index" * ${variations} + v), 64, '0')
    FROM "Identity" i
    JOIN "RunShard" sh ON sh."runId" = ${dispersion.id}::uuid AND sh."index" = i."index" / ${shardSize}
    CROSS JOIN generate_series(0, ${variations - 1}) AS v
    WHERE i."runId" = ${langevin.id}::uuid`;
  await prisma.$executeRaw`
    INSERT INTO "DatasetMember" ("datasetId", "position", "label", "identityId", "sampleId", "imageSha256")
    SELECT ${dataset.id}::uuid, (row_number() OVER (ORDER BY s."label", s."variation"))::int - 1, s."label",
           s."identityId", s."id", s."imageSha256"
    FROM "Sample" s WHERE s."runId" = ${dispersion.id}::uuid`;
  return dataset.id;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Timed<T> {
  seconds: number;
  value: T;
  /** Highest heapUsed above the start, sampled every 100 ms with no forced collection: garbage included. */
  peakHeapMiB: number;
}

/** One timed pass of `work`, its heap watched without disturbing it. */
async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 100);
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return { seconds, value, peakHeapMiB: (Math.max(peak, process.memoryUsage().heapUsed) - before) / 2 ** 20 };
}

/**
 * A second, untimed pass of `work` with a full collection every `everyMs`, so that the heap sampled
 * is what the writer keeps alive, not garbage waiting for collection.
 */
async function liveHeapMiB(work: () => Promise<unknown>, everyMs = 100): Promise<number> {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    collectGarbage();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, everyMs);
  await work();
  clearInterval(timer);
  return (peak - before) / 2 ** 20;
}

async function* counted<T>(items: AsyncIterable<T>, count: { statements: number }): AsyncIterable<T> {
  for await (const item of items) {
    if (item) count.statements++;
    yield item;
  }
}

async function drain(chunks: AsyncIterable<string>): Promise<number> {
  let bytes = 0;
  for await (const chunk of chunks) bytes += Buffer.byteLength(chunk);
  return bytes;
}

export async function bench(): Promise<BenchReport> {
  const loadBefore = loadavg()[0]!;
  const dataDir = await mkdtemp(join(tmpdir(), 'brownian-bench-'));
  await chmod(dataDir, 0o755);
  const log = createLogger('warn');
  const platform = await startPlatform(loadConfig({ BROWNIAN_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' }), log, {
    api: false,
    worker: false,
  });
  try {
    const prisma = platform.database.prisma;
    const phase = (what: string) => process.stderr.write(`provenance bench: ${what} (${new Date().toISOString()})\n`);
    const datasetId = await seedDataset(prisma);
    phase(`seeded ${identities} × ${variations}`);
    const subject = { kind: ProvenanceSubjectKind.DATASET, id: datasetId };
    const graph = () => new ProvenanceGraph(prisma);
    const count = { statements: 0 };
    const writeProvN = () => drain(streamProvN(graph().statements(subject)));
    const writeJson = () => drain(streamProvJson(graph().statements(subject)));
    const buildInMemory = async () =>
      Buffer.byteLength(JSON.stringify(await collectProvJson(graph().statements(subject), Infinity)));
    const provN = await timed(() => drain(streamProvN(counted(graph().statements(subject), count))));
    const { statements } = count;
    phase(`PROV-N written: ${statements} statements`);
    const json = await timed(writeJson);
    phase('PROV-JSON written');
    // The document as one string cannot exist past V8's longest string: there is no baseline to build.
    // Its 10 million statements would take hours with a full collection every 100 ms: one a second.
    const small = json.value <= constants.MAX_STRING_LENGTH;
    const inMemory = small ? await timed(buildInMemory) : undefined;
    const everyMs = small ? 100 : 1000;
    const live = {
      provN: await liveHeapMiB(writeProvN, everyMs),
      json: await liveHeapMiB(writeJson, everyMs),
      inMemory: inMemory ? await liveHeapMiB(buildInMemory) : undefined,
    };
    const row = (name: string, m: Timed<number>, liveMiB: number | undefined) => ({
      writer: name,
      statements,
      'MiB written': (m.value / 2 ** 20).toFixed(1),
      'statements/s': Math.round(statements / m.seconds),
      'peak heap used MiB (garbage included)': m.peakHeapMiB.toFixed(1),
      'peak live heap MiB': liveMiB === undefined ? '' : liveMiB.toFixed(1),
      'live heap vs in-memory':
        live.inMemory !== undefined && liveMiB !== undefined ? (liveMiB / live.inMemory).toFixed(3) : '',
      'time vs in-memory': inMemory ? (m.seconds / inMemory.seconds).toFixed(2) : '',
    });
    return {
      name: 'provenance',
      rows: [
        ...(inMemory ? [row('in-memory PROV-JSON (baseline)', inMemory, live.inMemory)] : []),
        row('streamed PROV-JSON', json, live.json),
        row('streamed PROV-N', provN, live.provN),
      ],
      notes: [
        ...(inMemory
          ? []
          : [
              `No in-memory baseline: the PROV-JSON document is ${(json.value / 2 ** 20).toFixed(0)} MiB, longer than ` +
                `V8's longest string (${(constants.MAX_STRING_LENGTH / 2 ** 20).toFixed(0)} Mi characters), so ` +
                'it cannot be built as one; only the streamed writers can produce it. At this size the live-heap ' +
                'pass collects once a second rather than every 100 ms.',
            ]),
        `Dataset of ${identities} identities × ${variations} samples; load average ${loadBefore.toFixed(1)} before, ` +
          `${loadavg()[0]!.toFixed(1)} after.`,
        'Peak heap used: sampled every 100 ms during the timed pass (PROV-N also counts the statements). Live heap: ' +
          'sampled after a full collection every 100 ms in a second, untimed pass. The streamed writers keep ' +
          'one batch of 500 rows and the set of element ids already written (runs, packs, agents, identities, samples).',
      ],
    };
  } finally {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
