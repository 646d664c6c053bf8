import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../src/core/db/client.js';
import { float32ToBytes } from '../../src/core/db/floats.js';
import { PackStatus, RunKind, RunStatus } from '../../src/generated/prisma/enums.js';
import type * as db from '../../src/generated/prisma/client.js';
import { jsonColumn } from '../../src/core/db/json.js';
import type { IterationStatsRecord } from '../../src/core/stats/iterationStats.js';

const spread = { min: 0.5, avg: 1, max: 1.5 };
/** Statistics of one iteration, as a worker would record them. */
export const seededStats: IterationStatsRecord = {
  embeddingDistance: spread,
  distanceToReference: null,
  dtSpread: null,
  propIct: 0.25,
  latentDistance: spread,
  meanDistanceToAverage: 1,
  interactionForce: spread,
  latentForce: spread,
  randomForce: spread,
  totalForce: spread,
  dt: 0.1,
  exclusion: null,
};

/** Rows as a finished run would leave them, for tests of reading paths. */
export async function seedModelPack(prisma: PrismaClient, name = 'seeded'): Promise<db.ModelPack> {
  const digest = randomBytes(32).toString('hex');
  return prisma.modelPack.create({
    data: {
      name,
      digest,
      manifest: { name },
      storagePrefix: `packs/${digest}/`,
      latentDim: 4,
      embeddingDim: 3,
      status: PackStatus.READY,
    },
  });
}

export async function seedRun(
  prisma: PrismaClient,
  pack: db.ModelPack,
  parentRunId: string | null = null,
): Promise<db.Run> {
  return prisma.run.create({
    data: {
      kind: parentRunId ? RunKind.DISPERSION : RunKind.LANGEVIN,
      status: RunStatus.SUCCEEDED,
      parameters: { numIdentities: 2 },
      seed: 7n,
      modelPackId: pack.id,
      parentRunId,
      totalIterations: 1,
      iteration: 1,
      codeVersion: 'test',
      workerHost: 'test-host',
      executionProvider: 'cpu',
      iterations: { create: [{ iteration: 0, stats: jsonColumn(seededStats) }] },
    },
  });
}

export async function seedIdentity(prisma: PrismaClient, run: db.Run, index: number): Promise<db.Identity> {
  return prisma.identity.create({
    data: {
      runId: run.id,
      index,
      latent: float32ToBytes(new Float32Array([index, 1, 2, 3])),
      embedding: float32ToBytes(new Float32Array([1, 0, index])),
      imageKey: `sha256/${'0'.repeat(64)}`,
      imageSha256: '0'.repeat(64),
    },
  });
}

/** A sample in shard 0 of its run, created with the first sample of the run. */
export async function seedSample(
  prisma: PrismaClient,
  run: db.Run,
  identity: db.Identity,
  variation: number,
): Promise<db.Sample> {
  const shard = await prisma.runShard.upsert({
    where: { runId_index: { runId: run.id, index: 0 } },
    create: { runId: run.id, index: 0, identityIndices: [identity.index], status: RunStatus.SUCCEEDED },
    update: {},
  });
  return prisma.sample.create({
    data: {
      runId: run.id,
      shardId: shard.id,
      identityId: identity.id,
      label: identity.index,
      variation,
      latent: identity.latent,
      embedding: identity.embedding,
      imageKey: identity.imageKey,
      imageSha256: identity.imageSha256,
    },
  });
}
