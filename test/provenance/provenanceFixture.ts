import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../src/core/db/client.js';
import { float32ToBytes } from '../../src/core/db/floats.js';
import type { AuditSummary } from '../../src/core/audits/auditSummary.js';
import { jsonColumn } from '../../src/core/db/json.js';
import { packFiles } from '../../src/core/packs/manifest.js';
import { runExportKey } from '../../src/core/store/keys.js';
import { issueApiKey } from '../../src/auth/apiKeys.js';
import {
  AuditScope,
  AuditStatus,
  ExportFormat,
  ExportStatus,
  PackStatus,
  Role,
  RunKind,
  RunStatus,
  ThresholdSource,
} from '../../src/generated/prisma/enums.js';
import type * as db from '../../src/generated/prisma/client.js';
import { miniPackFiles } from '../../services/worker/src/pack/builtin/index.js';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ProvenanceFixture {
  operator: db.ApiKey;
  pack: db.ModelPack;
  packFiles: Array<{ file: string; sha256: string }>;
  langevin: db.Run;
  dispersion: db.Run;
  identities: db.Identity[];
  samples: db.Sample[];
  shard: db.RunShard;
  dataset: db.Dataset;
  datasetExport: db.DatasetExport;
  audit: db.LeakageAudit;
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 9, minute, 0, 250));

/**
 * Rows as a Langevin run, a Dispersion run over it, a dataset, an export and an audit leave them,
 * with the built-in pack's real manifest (so its file digests are real) and images whose sha256
 * is that of their bytes. `identityCount` × `variations` samples.
 */
export async function seedProvenance(
  prisma: PrismaClient,
  identityCount = 2,
  variations = 2,
): Promise<ProvenanceFixture> {
  const mini = miniPackFiles();
  const operator = (await issueApiKey(prisma, 'lab operator', Role.OPERATOR)).row;
  const pack = await prisma.modelPack.create({
    data: {
      name: mini.manifest.name,
      digest: `${mini.digest.slice(0, 56)}${sha256(operator.id).slice(0, 8)}`,
      manifest: jsonColumn(mini.manifest),
      storagePrefix: `packs/${mini.digest}/`,
      latentDim: 4,
      embeddingDim: 3,
      status: PackStatus.READY,
      createdAt: at(0),
      verifiedAt: at(1),
    },
  });
  const common = {
    status: RunStatus.SUCCEEDED,
    modelPackId: pack.id,
    createdById: operator.id,
    totalIterations: 3,
    iteration: 3,
    codeVersion: '0.1.0+abc',
    executionProvider: 'cpu',
  };
  const langevin = await prisma.run.create({
    data: {
      ...common,
      kind: RunKind.LANGEVIN,
      parameters: { numIdentities: identityCount, ict: 1.4, nested: { list: [1, 2] } },
      seed: 42n,
      workerHost: 'gpu-host-1',
      startedAt: at(2),
      finishedAt: at(3),
    },
  });
  const identities: db.Identity[] = [];
  for (let index = 0; index < identityCount; index++) {
    const image = `png of identity ${index}`;
    identities.push(
      await prisma.identity.create({
        data: {
          runId: langevin.id,
          index,
          latent: float32ToBytes(new Float32Array([index, 0.5, -1, 2])),
          embedding: float32ToBytes(new Float32Array([1, index, 0])),
          imageKey: `sha256/${sha256(image)}`,
          imageSha256: sha256(image),
        },
      }),
    );
  }
  await prisma.storedObject.create({
    data: { key: runExportKey(langevin.id, 'latents'), sha256: sha256('latents'), size: 7n },
  });
  const dispersion = await prisma.run.create({
    data: {
      ...common,
      kind: RunKind.DISPERSION,
      parameters: { numVariations: variations },
      seed: 7n,
      parentRunId: langevin.id,
      workerHost: 'gpu-host-2',
      startedAt: at(4),
      finishedAt: at(6),
    },
  });
  const shard = await prisma.runShard.create({
    data: {
      runId: dispersion.id,
      index: 0,
      identityIndices: identities.map((identity) => identity.index),
      status: RunStatus.SUCCEEDED,
      workerHost: 'gpu-host-3',
      startedAt: at(4),
      finishedAt: at(5),
    },
  });
  const samples: db.Sample[] = [];
  for (const identity of identities) {
    for (let variation = 0; variation < variations; variation++) {
      const image = `png of identity ${identity.index} variation ${variation}`;
      samples.push(
        await prisma.sample.create({
          data: {
            runId: dispersion.id,
            shardId: shard.id,
            identityId: identity.id,
            label: identity.index,
            variation,
            latent: float32ToBytes(new Float32Array([identity.index, variation, 1, 1])),
            embedding: float32ToBytes(new Float32Array([variation, 1, identity.index])),
            imageKey: `sha256/${sha256(image)}`,
            imageSha256: sha256(image),
          },
        }),
      );
    }
  }
  const dataset = await prisma.dataset.create({
    data: {
      name: 'synth-v1',
      digest: sha256(`dataset ${dispersion.id}`),
      manifestKey: `datasets/${dispersion.id}/manifest.json`,
      identityCount,
      sampleCount: samples.length,
      createdById: operator.id,
      runs: { create: [{ runId: dispersion.id }] },
      members: {
        create: samples.map((sample, position) => ({
          position,
          label: sample.label,
          identityId: sample.identityId,
          sampleId: sample.id,
          imageSha256: sample.imageSha256,
        })),
      },
    },
  });
  const datasetExport = await prisma.datasetExport.create({
    data: {
      datasetId: dataset.id,
      format: ExportFormat.WEBDATASET,
      options: { crop: 'ALIGNED', content: 'SAMPLES' },
      status: ExportStatus.SUCCEEDED,
      done: samples.length,
      total: samples.length,
      objectKey: `sha256/${sha256('tar')}`,
      sha256: sha256('tar'),
      size: 3n,
      createdById: operator.id,
      startedAt: at(7),
      finishedAt: at(8),
    },
  });
  const gallery = await prisma.gallery.create({
    data: { name: 'real faces', embeddingDim: 3, digest: sha256('gallery'), recognizerDigest: sha256('recognizer') },
  });
  const audit = await prisma.leakageAudit.create({
    data: {
      galleryId: gallery.id,
      datasetId: dataset.id,
      galleryName: gallery.name,
      galleryDigest: gallery.digest,
      recognizerDigest: gallery.recognizerDigest,
      scope: AuditScope.BOTH,
      topK: 5,
      threshold: 0.3,
      thresholdSource: ThresholdSource.COSINE,
      status: AuditStatus.SUCCEEDED,
      shardSize: 16,
      // What a finished audit writes (core/audits/auditSummary.ts): no identity matched the gallery.
      summary: {
        identitiesAudited: 2,
        samplesAudited: 4,
        flaggedIdentities: 0,
        flaggedSamples: 0,
        leakageRate: 0,
        sampleLeakageRate: 0,
        maxSimilarity: 0.1,
        histogram: { binStarts: [-1, 0], identityMaxSimilarity: [0, 2], galleryImpostors: [0.5, 0.5] },
      } satisfies AuditSummary,
      createdById: operator.id,
      startedAt: at(9),
      finishedAt: at(10),
      runs: { create: [{ runId: dispersion.id }] },
    },
  });
  return {
    operator,
    pack,
    packFiles: packFiles(mini.manifest).map(({ file, sha256: digest }) => ({ file, sha256: digest })),
    langevin,
    dispersion,
    identities,
    samples,
    shard,
    dataset,
    datasetExport,
    audit,
  };
}
