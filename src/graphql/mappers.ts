import type * as db from '../generated/prisma/client.js';
import type { ApiKey } from './types/ApiKey.js';
import type { Identity, Sample, StoredVectors } from './types/Identity.js';
import { decodeIterationStats } from '../core/stats/iterationStats.js';
import type { RunIteration } from './types/IterationStats.js';
import type { ModelPack } from './types/ModelPack.js';
import type { Run, RunShard } from './types/Run.js';
import type { Dataset, DatasetExport } from './types/Dataset.js';
import type { Gallery } from './types/Gallery.js';
import type { LeakageAudit } from './types/LeakageAudit.js';
import { summaryOf, type AuditRow } from '../audits/auditReads.js';
import type { ProvenanceExport } from './types/ProvenanceExport.js';
import type { Verification } from './types/Verification.js';
import { decodeObjectChecks } from '../core/verification/objectCheck.js';
import { ExportStatus } from '../generated/prisma/enums.js';
import { seedFromColumn } from '../core/db/seeds.js';

/** Database rows become GraphQL objects here and nowhere else. */
export function toRun(row: db.Run): Run {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    parameters: row.parameters as object,
    modelPackId: row.modelPackId,
    parentRunId: row.parentRunId,
    exclusionGalleryId: row.exclusionGalleryId,
    seedValue: seedFromColumn(row.seed),
    iteration: row.iteration,
    totalIterations: row.totalIterations,
    error: row.error,
    errorIteration: row.errorIteration,
    summary: row.summary as object | null,
    cancelRequested: row.cancelRequested,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    provenance: { codeVersion: row.codeVersion, workerHost: row.workerHost, executionProvider: row.executionProvider },
  };
}

export function toModelPack(row: db.ModelPack): ModelPack {
  return { ...row, manifest: row.manifest as object };
}

/** A row read with or without its latent and embedding (pages leave them out). */
type WithOptionalVectors<T extends StoredVectors> = Omit<T, keyof StoredVectors> & Partial<StoredVectors>;
export type IdentityRow = WithOptionalVectors<db.Identity>;
export type SampleRow = WithOptionalVectors<db.Sample>;

function vectorsOf(row: Partial<StoredVectors>): StoredVectors | undefined {
  return row.latent && row.embedding ? { latent: row.latent, embedding: row.embedding } : undefined;
}

export function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    runId: row.runId,
    index: row.index,
    vectors: vectorsOf(row),
    imageKey: row.imageKey,
    imageSha256: row.imageSha256,
    createdAt: row.createdAt,
  };
}

export function toSample(row: SampleRow): Sample {
  return {
    id: row.id,
    identityId: row.identityId,
    runId: row.runId,
    shardId: row.shardId,
    label: row.label,
    variation: row.variation,
    vectors: vectorsOf(row),
    imageKey: row.imageKey,
    imageSha256: row.imageSha256,
    covariateCoefficients: row.covariateCoefficients,
    createdAt: row.createdAt,
  };
}

export function toRunShard(row: db.RunShard): RunShard {
  return {
    id: row.id,
    index: row.index,
    identityIndices: row.identityIndices,
    status: row.status,
    iteration: row.iteration,
    attempts: row.attempts,
    error: row.error,
    errorIteration: row.errorIteration,
    workerHost: row.workerHost,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function toRunIteration(row: db.RunIteration): RunIteration {
  return { iteration: row.iteration, stats: decodeIterationStats(row.stats) };
}

export function toApiKey(row: db.ApiKey): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
  };
}

export function toDataset(row: db.Dataset): Dataset {
  return {
    id: row.id,
    name: row.name,
    digest: row.digest,
    manifestKey: row.manifestKey,
    identityCount: row.identityCount,
    sampleCount: row.sampleCount,
    createdAt: row.createdAt,
  };
}

export function toDatasetExport(row: db.DatasetExport): DatasetExport {
  return {
    id: row.id,
    datasetId: row.datasetId,
    format: row.format,
    options: row.options as object,
    status: row.status,
    done: row.done,
    total: row.total,
    sha256: row.sha256,
    size: row.size === null ? null : Number(row.size),
    objectKey: row.objectKey,
    error: row.error,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

export function toGallery(row: db.Gallery, subjectCount: number): Gallery {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    error: row.error,
    embeddingDim: row.embeddingDim,
    digest: row.digest,
    recognizerDigest: row.recognizerDigest,
    impostorPairs: (row.impostorSimilarities?.byteLength ?? 0) / 4,
    createdAt: row.createdAt,
    subjectCount,
  };
}

export function toAudit(row: AuditRow): LeakageAudit {
  return {
    ...row,
    runIds: row.runs.map((run) => run.runId),
    thresholdAngle: Math.acos(Math.min(1, Math.max(-1, row.threshold))),
    summary: summaryOf(row),
  };
}

export function toProvenanceExport(row: db.ProvenanceExport): ProvenanceExport {
  return {
    id: row.id,
    subjectId: row.subjectId,
    subjectKind: row.subjectKind,
    format: row.format,
    status: row.status,
    statements: row.statements,
    sha256: row.sha256,
    size: row.size === null ? null : Number(row.size),
    objectKey: row.objectKey,
    error: row.error,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

export function toVerification(row: db.Verification): Verification {
  return {
    id: row.id,
    subjectKind: row.subjectKind,
    subjectId: row.subjectId,
    sampleCount: row.sampleCount,
    segments: row.segments,
    status: row.status,
    checked: row.checked,
    mismatches: row.mismatches,
    verified: row.status === ExportStatus.SUCCEEDED ? row.mismatches === 0 : null,
    results: decodeObjectChecks(row.results),
    error: row.error,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}
