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
import { float32ToBytes } from '../src/core/db/floats.js';
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
  const vector = (seed: number) => float32ToBytes(Float32Array.from({ length: 32 }, (_, i) => Math.sin(seed + i)));
  const sha = (seed: number) => seed.toString(16).padStart(64, '0');
  const identityRows = Array.from({ length: identities }, (_, index) => ({
    runId: langevin.id,
    index,
    latent: vector(index),
    embedding: vector(-index),
    imageKey: `sha256/${sha(index)}`,
    imageSha256: sha(index),
  }));
  for (let i = 0; i < identityRows.length; i += 1000)
    await prisma.identity.createMany({ data: identityRows.slice(i, i + 1000) });
  const ids = await prisma.identity.findMany({
    where: { runId: langevin.id },
    orderBy: { index: 'asc' },
    select: { id: true, index: true },
  });
  const dataset = await prisma.dataset.create({
    data: {
      name: 'bench',
      digest: sha(1),
      manifestKey: 'datasets/bench.json',
      identityCount: identities,
      sampleCount: identities * variations,
      runs: { create: [{ runId: dispersion.id }] },
    },
  });
  let position = 0;
  for (let start = 0; start < identities; start += shardSize) {
    const shard = await prisma.runShard.create({
      data: {
        runId: dispersion.id,
        index: start / shardSize,
        identityIndices: [],
        status: RunStatus.SUCCEEDED,
        workerHost: 'h',
      },
    });
    const samples = ids.slice(start, start + shardSize).flatMap(({ id, index }) =>
      Array.from({ length: variations }, (_, variation) => ({
        runId: dispersion.id,
        shardId: shard.id,
        identityId: id,
        label: index,
        variation,
        latent: vector(index * 100 + variation),
        embedding: vector(-index * 100 - variation),
        imageKey: `sha256/${sha(1_000_000 + index * 100 + variation)}`,
        imageSha256: sha(1_000_000 + index * 100 + variation),
      })),
    );
    await prisma.sample.createMany({ data: samples });
    const created = await prisma.sample.findMany({
      where: { shardId: shard.id },
      orderBy: [{ label: 'asc' }, { variation: 'asc' }],
    });
    await prisma.datasetMember.createMany({
      data: created.map((sample) => ({
        datasetId: dataset.id,
        position: position++,
        label: sample.label,
        identityId: sample.identityId,
        sampleId: sample.id,
        imageSha256: sample.imageSha256,
      })),
    });
  }
  return dataset.id;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Runs `work` twice: once timed, once with a full collection every 100 ms so that the heap
 * sampled after it is what the writer keeps alive, not garbage waiting for collection.
 */
async function measure<T>(work: () => Promise<T>): Promise<{ seconds: number; liveMiB: number; value: T }> {
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    collectGarbage();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  await work();
  clearInterval(timer);
  return { seconds, liveMiB: (peak - before) / 2 ** 20, value };
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
    let statements = 0;
    for await (const statement of graph().statements(subject)) if (statement) statements++;
    phase(`${statements} statements`);
    const provN = await measure(() => drain(streamProvN(graph().statements(subject))));
    phase('PROV-N written twice');
    const json = await measure(() => drain(streamProvJson(graph().statements(subject))));
    phase('PROV-JSON written twice');
    // The document as one string cannot exist past V8's longest string: there is no baseline to build.
    const inMemory =
      json.value <= constants.MAX_STRING_LENGTH
        ? await measure(async () =>
            Buffer.byteLength(JSON.stringify(await collectProvJson(graph().statements(subject), Infinity))),
          )
        : undefined;
    const row = (name: string, m: { seconds: number; liveMiB: number; value: number }) => ({
      writer: name,
      statements,
      'MiB written': (m.value / 2 ** 20).toFixed(1),
      'statements/s': Math.round(statements / m.seconds),
      'peak live heap MiB': m.liveMiB.toFixed(1),
      'live heap vs in-memory': inMemory ? (m.liveMiB / inMemory.liveMiB).toFixed(3) : '',
      'time vs in-memory': inMemory ? (m.seconds / inMemory.seconds).toFixed(2) : '',
    });
    return {
      name: 'provenance',
      rows: [
        ...(inMemory ? [row('in-memory PROV-JSON (baseline)', inMemory)] : []),
        row('streamed PROV-JSON', json),
        row('streamed PROV-N', provN),
      ],
      notes: [
        ...(inMemory
          ? []
          : [
              `No in-memory baseline: the PROV-JSON document is ${(json.value / 2 ** 20).toFixed(0)} MiB, longer than ` +
                `V8's longest string (${(constants.MAX_STRING_LENGTH / 2 ** 20).toFixed(0)} Mi characters), so ` +
                'it cannot be built as one; only the streamed writers can produce it.',
            ]),
        `Dataset of ${identities} identities × ${variations} samples; load average ${loadBefore.toFixed(1)} before, ` +
          `${loadavg()[0]!.toFixed(1)} after.`,
        'Live heap: sampled after a full collection every 100 ms in a second, untimed pass. The streamed writers keep ' +
          'one batch of 500 rows and the set of element ids already written (runs, packs, agents, identities, samples).',
      ],
    };
  } finally {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
