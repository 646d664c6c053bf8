import { createHash } from 'node:crypto';
import type { PrismaClient } from '../db/client.js';
import type * as db from '../../generated/prisma/client.js';
import { ProvenanceSubjectKind } from '../../generated/prisma/enums.js';
import { seedFromColumn } from '../db/seeds.js';
import { canonicalJson, packFiles, validateManifest } from '../packs/manifest.js';
import { checkpointKey, runExportKey, shardCheckpointKey } from '../store/keys.js';
import { keptCheckpoints } from '../verification/trajectory.js';
import { contentRef, nodeRef, partRef, workerRef, type WorkerAgent } from './namespaces.js';
import {
  dateTime,
  jsonLiteral,
  qualifiedName,
  type ProvKind,
  type ProvStatement,
  type ProvValue,
} from './statements.js';

export { ProvenanceSubjectKind };

/** What `provenance(id)` can be asked about: a sample, identity, run, audit, export or dataset. */
export interface ProvenanceSubject {
  kind: ProvenanceSubjectKind;
  id: string;
}

const withShardIndex = { shard: { select: { index: true } } } as const;

/** Rows read per query when a subject has many members: memory stays bounded by this, not by the subject. */
export const defaultBatchSize = 500;

/** Ids are UUIDs unique across tables, so one probe per kind finds what an id names. */
export async function findProvenanceSubject(prisma: PrismaClient, id: string): Promise<ProvenanceSubject | null> {
  const [sample, identity, run, audit, exported, dataset] = await Promise.all([
    prisma.sample.findUnique({ where: { id }, select: { id: true } }),
    prisma.identity.findUnique({ where: { id }, select: { id: true } }),
    prisma.run.findUnique({ where: { id }, select: { id: true } }),
    prisma.leakageAudit.findUnique({ where: { id }, select: { id: true } }),
    prisma.datasetExport.findUnique({ where: { id }, select: { id: true } }),
    prisma.dataset.findUnique({ where: { id }, select: { id: true } }),
  ]);
  if (sample) return { kind: ProvenanceSubjectKind.SAMPLE, id };
  if (identity) return { kind: ProvenanceSubjectKind.IDENTITY, id };
  if (run) return { kind: ProvenanceSubjectKind.RUN, id };
  if (audit) return { kind: ProvenanceSubjectKind.AUDIT, id };
  if (exported) return { kind: ProvenanceSubjectKind.EXPORT, id };
  if (dataset) return { kind: ProvenanceSubjectKind.DATASET, id };
  return null;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function type(name: string): ProvValue {
  return qualifiedName(name);
}

function times(start: Date | null, end: Date | null): Record<string, ProvValue> {
  return { ...(start ? { 'prov:startTime': dateTime(start) } : {}), ...(end ? { 'prov:endTime': dateTime(end) } : {}) };
}

/**
 * Walks the database from a subject and yields its PROV statements: the subject, what it was made
 * from, the activities that made it and the agents behind them (docs/provenance.md). Elements that
 * many outputs share (runs, packs, agents, galleries) are yielded once; outputs (identities,
 * samples, dataset members) are read in batches and never held all at once.
 */
export class ProvenanceGraph {
  private readonly seen = new Set<string>();
  private readonly keys = new Map<string, db.ApiKey | null>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly batchSize = defaultBatchSize,
  ) {}

  async *statements(subject: ProvenanceSubject): AsyncGenerator<ProvStatement> {
    switch (subject.kind) {
      case ProvenanceSubjectKind.SAMPLE: {
        const sample = await this.prisma.sample.findUniqueOrThrow({
          where: { id: subject.id },
          include: withShardIndex,
        });
        const identity = await this.prisma.identity.findUniqueOrThrow({ where: { id: sample.identityId } });
        yield* this.runChain(sample.runId);
        yield* this.identity(identity);
        yield* this.sample(sample, sample.shard.index);
        return;
      }
      case ProvenanceSubjectKind.IDENTITY: {
        const identity = await this.prisma.identity.findUniqueOrThrow({ where: { id: subject.id } });
        yield* this.runChain(identity.runId);
        yield* this.identity(identity);
        return;
      }
      case ProvenanceSubjectKind.RUN:
        yield* this.runChain(subject.id);
        yield* this.runOutputs(subject.id);
        return;
      case ProvenanceSubjectKind.AUDIT:
        yield* this.audit(subject.id);
        return;
      case ProvenanceSubjectKind.EXPORT:
        yield* this.datasetExport(subject.id);
        return;
      case ProvenanceSubjectKind.DATASET:
        yield* this.dataset(subject.id, true);
        return;
    }
  }

  private once(reference: string): boolean {
    if (this.seen.has(reference)) return false;
    this.seen.add(reference);
    return true;
  }

  private relation(kind: ProvKind, attributes: Record<string, ProvValue>): ProvStatement {
    return { kind, attributes };
  }

  private async *apiKeyAgent(keyId: string | null): AsyncGenerator<ProvStatement, string | undefined> {
    if (!keyId) return undefined;
    if (!this.keys.has(keyId)) this.keys.set(keyId, await this.prisma.apiKey.findUnique({ where: { id: keyId } }));
    const key = this.keys.get(keyId);
    const reference = nodeRef(keyId);
    if (key && this.once(reference)) {
      yield {
        kind: 'agent',
        id: reference,
        attributes: { 'prov:type': type('brownian:ApiKey'), 'prov:label': key.name, 'brownian:role': key.role },
      };
    }
    return key ? reference : undefined;
  }

  private *workerAgent(worker: WorkerAgent): Generator<ProvStatement, string> {
    const reference = workerRef(worker);
    if (this.once(reference)) {
      yield {
        kind: 'agent',
        id: reference,
        attributes: {
          'prov:type': type('prov:SoftwareAgent'),
          'brownian:host': worker.host,
          'brownian:softwareVersion': worker.softwareVersion,
          'brownian:executionProvider': worker.executionProvider,
        },
      };
    }
    return reference;
  }

  /** The pack, its files (content-addressed) and the worker check that made it READY. */
  private async *pack(packId: string): AsyncGenerator<ProvStatement, string[]> {
    const pack = await this.prisma.modelPack.findUniqueOrThrow({ where: { id: packId } });
    const reference = nodeRef(pack.id);
    let files: Array<{ field: string; file: string; sha256: string }> = [];
    try {
      files = packFiles(validateManifest(pack.manifest));
    } catch {
      // A pack row whose manifest no longer validates still has its digest; its files are then unknown.
    }
    const fileRefs = files.map((file) => contentRef(file.sha256));
    if (!this.once(reference)) return fileRefs;
    yield {
      kind: 'entity',
      id: reference,
      attributes: {
        'prov:type': type('brownian:ModelPack'),
        'prov:label': pack.name,
        'brownian:sha256': pack.digest,
        'brownian:status': pack.status,
      },
    };
    for (const file of files) {
      const fileRef = contentRef(file.sha256);
      if (this.once(fileRef)) {
        yield {
          kind: 'entity',
          id: fileRef,
          attributes: {
            'prov:type': type('brownian:PackFile'),
            'prov:label': file.file,
            'brownian:sha256': file.sha256,
          },
        };
      }
      yield this.relation('hadMember', { 'prov:collection': reference, 'prov:entity': fileRef });
    }
    const check = partRef(pack.id, 'check');
    yield {
      kind: 'activity',
      id: check,
      attributes: {
        ...times(pack.createdAt, pack.verifiedAt),
        'prov:type': type('brownian:PackValidation'),
        'brownian:status': pack.status,
        ...(pack.error ? { 'brownian:error': pack.error } : {}),
      },
    };
    yield this.relation('used', { 'prov:activity': check, 'prov:entity': reference });
    return fileRefs;
  }

  private async *gallery(galleryId: string | null, digest?: string): AsyncGenerator<ProvStatement, string | undefined> {
    const gallery = galleryId ? await this.prisma.gallery.findUnique({ where: { id: galleryId } }) : null;
    const reference = gallery ? nodeRef(gallery.id) : digest ? contentRef(digest) : undefined;
    if (!reference || !this.once(reference)) return reference;
    yield {
      kind: 'entity',
      id: reference,
      attributes: {
        'prov:type': type('brownian:Gallery'),
        'brownian:sha256': gallery?.digest ?? digest ?? '',
        ...(gallery ? { 'brownian:recognizerSha256': gallery.recognizerDigest } : {}),
      },
    };
    return reference;
  }

  /** A run and every run it continues, each with its pack, gallery, agents and stored files. */
  private async *runChain(runId: string): AsyncGenerator<ProvStatement> {
    let next: string | null = runId;
    while (next && this.once(nodeRef(next))) {
      const run: db.Run = await this.prisma.run.findUniqueOrThrow({ where: { id: next } });
      yield* this.run(run);
      next = run.parentRunId;
    }
  }

  private async *run(run: db.Run): AsyncGenerator<ProvStatement> {
    const reference = nodeRef(run.id);
    yield {
      kind: 'activity',
      id: reference,
      attributes: {
        ...times(run.startedAt, run.finishedAt),
        'prov:type': type(`brownian:${run.kind}`),
        'brownian:status': run.status,
        'brownian:seed': seedFromColumn(run.seed).toString(),
        'brownian:parameters': jsonLiteral(run.parameters),
        'brownian:iterations': run.iteration,
        ...(run.error ? { 'brownian:error': run.error } : {}),
      },
    };
    const fileRefs = yield* this.pack(run.modelPackId);
    yield this.relation('used', {
      'prov:activity': reference,
      'prov:entity': nodeRef(run.modelPackId),
      'prov:role': type('brownian:modelPack'),
    });
    for (const fileRef of fileRefs) yield this.relation('used', { 'prov:activity': reference, 'prov:entity': fileRef });
    yield this.relation('wasInformedBy', {
      'prov:informed': reference,
      'prov:informant': partRef(run.modelPackId, 'check'),
    });
    if (run.parentRunId) {
      yield this.relation('wasInformedBy', { 'prov:informed': reference, 'prov:informant': nodeRef(run.parentRunId) });
    }
    if (run.sourceAuditId) {
      yield this.relation('wasInformedBy', {
        'prov:informed': reference,
        'prov:informant': nodeRef(run.sourceAuditId),
      });
    }
    const gallery = yield* this.gallery(run.exclusionGalleryId);
    if (gallery) {
      yield this.relation('used', {
        'prov:activity': reference,
        'prov:entity': gallery,
        'prov:role': type('brownian:exclusionGallery'),
      });
    }
    const requester = yield* this.apiKeyAgent(run.createdById);
    if (requester) {
      yield this.relation('wasAssociatedWith', {
        'prov:activity': reference,
        'prov:agent': requester,
        'prov:role': type('brownian:requester'),
      });
    }
    if (run.workerHost) {
      const worker = yield* this.workerAgent({
        host: run.workerHost,
        softwareVersion: run.codeVersion ?? 'unknown',
        executionProvider: run.executionProvider ?? 'unknown',
      });
      yield this.relation('wasAssociatedWith', {
        'prov:activity': reference,
        'prov:agent': worker,
        'prov:role': type('brownian:executor'),
      });
    }
    const shards = await this.prisma.runShard.findMany({ where: { runId: run.id }, orderBy: { index: 'asc' } });
    for (const shard of shards) {
      const shardRef = this.shardRef(run.id, shard.index);
      yield {
        kind: 'activity',
        id: shardRef,
        attributes: {
          ...times(shard.startedAt, shard.finishedAt),
          'prov:type': type('brownian:Shard'),
          'brownian:index': shard.index,
          'brownian:status': shard.status,
        },
      };
      yield this.relation('wasInformedBy', { 'prov:informed': shardRef, 'prov:informant': reference });
      if (shard.workerHost) {
        const worker = yield* this.workerAgent({
          host: shard.workerHost,
          softwareVersion: run.codeVersion ?? 'unknown',
          executionProvider: run.executionProvider ?? 'unknown',
        });
        yield this.relation('wasAssociatedWith', { 'prov:activity': shardRef, 'prov:agent': worker });
      }
    }
    yield* this.storedFiles(run, shards);
  }

  /** Checkpoints and float32 exports of a run, as the digest ledger recorded them when they were written. */
  private async *storedFiles(run: db.Run, shards: db.RunShard[]): AsyncGenerator<ProvStatement> {
    const named = new Map<string, { part: string; activity: string }>([
      [checkpointKey(run.id), { part: 'checkpoint', activity: nodeRef(run.id) }],
      [runExportKey(run.id, 'latents'), { part: 'latents', activity: nodeRef(run.id) }],
      [runExportKey(run.id, 'embeddings'), { part: 'embeddings', activity: nodeRef(run.id) }],
      ...shards.map(
        (shard) =>
          [
            shardCheckpointKey(run.id, shard.index),
            { part: `checkpoint${shard.index}`, activity: nodeRef(shard.id) },
          ] as const,
      ),
    ]);
    const objects = await this.prisma.storedObject.findMany({ where: { key: { in: [...named.keys()] } } });
    for (const object of objects) {
      const { part, activity } = named.get(object.key)!;
      const reference = partRef(run.id, part);
      yield {
        kind: 'entity',
        id: reference,
        attributes: {
          'prov:type': type(part.startsWith('checkpoint') ? 'brownian:Checkpoint' : 'brownian:RunFile'),
          'brownian:sha256': object.sha256,
          'brownian:objectKey': object.key,
          'brownian:size': Number(object.size),
        },
      };
      yield this.relation('wasGeneratedBy', { 'prov:entity': reference, 'prov:activity': activity });
    }
    yield* this.keptCheckpoints(run);
  }

  /**
   * Every checkpoint the run kept (docs/provenance.md, "Verification"), generated by the run or its
   * shard and derived from the one before it: the chain a trajectory verification re-runs.
   */
  private async *keptCheckpoints(run: db.Run): AsyncGenerator<ProvStatement> {
    let previous: { shardIndex: number | null; reference: string } | undefined;
    for (const checkpoint of await keptCheckpoints(this.prisma, run.id)) {
      const track = checkpoint.shardIndex === null ? '' : `shard${checkpoint.shardIndex}.`;
      const reference = partRef(run.id, `${track}iteration${checkpoint.iteration}`);
      yield {
        kind: 'entity',
        id: reference,
        attributes: {
          'prov:type': type('brownian:Checkpoint'),
          'brownian:sha256': checkpoint.sha256,
          'brownian:objectKey': checkpoint.key,
          'brownian:iteration': checkpoint.iteration,
        },
      };
      yield this.relation('wasGeneratedBy', {
        'prov:entity': reference,
        'prov:activity':
          checkpoint.shardIndex === null ? nodeRef(run.id) : this.shardRef(run.id, checkpoint.shardIndex),
      });
      if (previous?.shardIndex === checkpoint.shardIndex) {
        yield this.relation('wasDerivedFrom', {
          'prov:generatedEntity': reference,
          'prov:usedEntity': previous.reference,
        });
      }
      previous = { shardIndex: checkpoint.shardIndex, reference };
    }
  }

  /** An output's latent, image and embedding, each with its sha256, and how one was made from the other. */
  private *parts(
    owner: string,
    activity: string,
    row: { latent: Uint8Array; embedding: Uint8Array; imageSha256: string; imageKey: string },
  ): Generator<ProvStatement> {
    const latent = partRef(owner, 'latent');
    const image = partRef(owner, 'image');
    const embedding = partRef(owner, 'embedding');
    yield {
      kind: 'entity',
      id: latent,
      attributes: { 'prov:type': type('brownian:Latent'), 'brownian:sha256': sha256(row.latent) },
    };
    yield {
      kind: 'entity',
      id: image,
      attributes: {
        'prov:type': type('brownian:Image'),
        'brownian:sha256': row.imageSha256,
        'brownian:objectKey': row.imageKey,
      },
    };
    yield {
      kind: 'entity',
      id: embedding,
      attributes: { 'prov:type': type('brownian:Embedding'), 'brownian:sha256': sha256(row.embedding) },
    };
    for (const part of [latent, image, embedding]) {
      yield this.relation('wasGeneratedBy', { 'prov:entity': part, 'prov:activity': activity });
      yield this.relation('hadMember', { 'prov:collection': nodeRef(owner), 'prov:entity': part });
    }
    yield this.relation('wasDerivedFrom', { 'prov:generatedEntity': image, 'prov:usedEntity': latent });
    yield this.relation('wasDerivedFrom', { 'prov:generatedEntity': embedding, 'prov:usedEntity': image });
  }

  /** An output's own digest: sha256 of the canonical JSON of its parts' digests (docs/provenance.md). */
  private outputDigest(row: { latent: Uint8Array; embedding: Uint8Array; imageSha256: string }): string {
    return sha256(
      canonicalJson({ latent: sha256(row.latent), image: row.imageSha256, embedding: sha256(row.embedding) }),
    );
  }

  private *identity(identity: db.Identity): Generator<ProvStatement> {
    if (!this.once(nodeRef(identity.id))) return;
    const run = nodeRef(identity.runId);
    const parts = this.parts(identity.id, run, identity);
    yield {
      kind: 'entity',
      id: nodeRef(identity.id),
      attributes: {
        'prov:type': type('brownian:Identity'),
        'brownian:index': identity.index,
        'brownian:sha256': this.outputDigest(identity),
      },
    };
    yield* parts;
    yield this.relation('wasGeneratedBy', { 'prov:entity': nodeRef(identity.id), 'prov:activity': run });
  }

  private shardRef(runId: string, index: number): string {
    return partRef(runId, `shard${index}`);
  }

  private *sample(sample: db.Sample, shardIndex: number): Generator<ProvStatement> {
    if (!this.once(nodeRef(sample.id))) return;
    const shard = this.shardRef(sample.runId, shardIndex);
    const parts = this.parts(sample.id, shard, sample);
    yield {
      kind: 'entity',
      id: nodeRef(sample.id),
      attributes: {
        'prov:type': type('brownian:Sample'),
        'brownian:label': sample.label,
        'brownian:variation': sample.variation,
        'brownian:sha256': this.outputDigest(sample),
        ...(sample.covariateCoefficients.length > 0
          ? { 'brownian:covariateCoefficients': jsonLiteral(sample.covariateCoefficients) }
          : {}),
      },
    };
    yield* parts;
    yield this.relation('wasGeneratedBy', { 'prov:entity': nodeRef(sample.id), 'prov:activity': shard });
    yield this.relation('wasDerivedFrom', {
      'prov:generatedEntity': nodeRef(sample.id),
      'prov:usedEntity': nodeRef(sample.identityId),
    });
    yield this.relation('used', { 'prov:activity': shard, 'prov:entity': nodeRef(sample.identityId) });
  }

  /** Every identity and sample a run made, read in batches in a stable order. */
  private async *runOutputs(runId: string): AsyncGenerator<ProvStatement> {
    for (let cursor: string | undefined; ;) {
      const rows: db.Identity[] = await this.prisma.identity.findMany({
        where: { runId, ...(cursor ? { id: { gt: cursor } } : {}) },
        orderBy: { id: 'asc' },
        take: this.batchSize,
      });
      for (const row of rows) yield* this.identity(row);
      if (rows.length < this.batchSize) break;
      cursor = rows[rows.length - 1]!.id;
    }
    for (let cursor: string | undefined; ;) {
      const rows = await this.prisma.sample.findMany({
        where: { runId, ...(cursor ? { id: { gt: cursor } } : {}) },
        orderBy: { id: 'asc' },
        take: this.batchSize,
        include: withShardIndex,
      });
      const identities = await this.prisma.identity.findMany({
        where: { id: { in: [...new Set(rows.map((row) => row.identityId))] } },
      });
      for (const identity of identities) yield* this.identity(identity);
      for (const row of rows) yield* this.sample(row, row.shard.index);
      if (rows.length < this.batchSize) break;
      cursor = rows[rows.length - 1]!.id;
    }
  }

  /** The dataset, its runs, and (withMembers) every identity and sample it holds. */
  private async *dataset(datasetId: string, withMembers: boolean): AsyncGenerator<ProvStatement, string> {
    const reference = nodeRef(datasetId);
    if (!this.once(reference)) return reference;
    const dataset = await this.prisma.dataset.findUniqueOrThrow({ where: { id: datasetId }, include: { runs: true } });
    yield {
      kind: 'entity',
      id: reference,
      attributes: {
        'prov:type': type('brownian:Dataset'),
        'prov:label': dataset.name,
        'brownian:sha256': dataset.digest,
        'brownian:identityCount': dataset.identityCount,
        'brownian:sampleCount': dataset.sampleCount,
        'brownian:objectKey': dataset.manifestKey,
      },
    };
    const creator = yield* this.apiKeyAgent(dataset.createdById);
    if (creator) yield this.relation('wasAttributedTo', { 'prov:entity': reference, 'prov:agent': creator });
    for (const { runId } of dataset.runs) yield* this.runChain(runId);
    if (!withMembers) return reference;
    for (let position = -1; ;) {
      const members = await this.prisma.datasetMember.findMany({
        where: { datasetId, position: { gt: position } },
        orderBy: { position: 'asc' },
        take: this.batchSize,
        include: { identity: true, sample: { include: withShardIndex } },
      });
      for (const member of members) {
        yield* this.identity(member.identity);
        if (member.sample) yield* this.sample(member.sample, member.sample.shard.index);
        const memberRef = nodeRef(member.sampleId ?? member.identityId);
        yield this.relation('hadMember', { 'prov:collection': reference, 'prov:entity': memberRef });
      }
      if (members.length < this.batchSize) break;
      position = members[members.length - 1]!.position;
    }
    return reference;
  }

  private async *datasetExport(exportId: string): AsyncGenerator<ProvStatement> {
    const exported = await this.prisma.datasetExport.findUniqueOrThrow({ where: { id: exportId } });
    const dataset = yield* this.dataset(exported.datasetId, false);
    const reference = nodeRef(exported.id);
    yield {
      kind: 'activity',
      id: reference,
      attributes: {
        ...times(exported.startedAt, exported.finishedAt),
        'prov:type': type('brownian:Export'),
        'brownian:format': exported.format,
        'brownian:options': jsonLiteral(exported.options),
        'brownian:status': exported.status,
        ...(exported.error ? { 'brownian:error': exported.error } : {}),
      },
    };
    yield this.relation('used', { 'prov:activity': reference, 'prov:entity': dataset });
    const requester = yield* this.apiKeyAgent(exported.createdById);
    if (requester) yield this.relation('wasAssociatedWith', { 'prov:activity': reference, 'prov:agent': requester });
    if (exported.sha256) {
      const archive = contentRef(exported.sha256);
      yield {
        kind: 'entity',
        id: archive,
        attributes: {
          'prov:type': type('brownian:ExportArchive'),
          'brownian:sha256': exported.sha256,
          ...(exported.size !== null ? { 'brownian:size': Number(exported.size) } : {}),
          ...(exported.objectKey ? { 'brownian:objectKey': exported.objectKey } : {}),
        },
      };
      yield this.relation('wasGeneratedBy', { 'prov:entity': archive, 'prov:activity': reference });
      yield this.relation('wasDerivedFrom', { 'prov:generatedEntity': archive, 'prov:usedEntity': dataset });
      if (requester) yield this.relation('wasAttributedTo', { 'prov:entity': archive, 'prov:agent': requester });
    }
  }

  private async *audit(auditId: string): AsyncGenerator<ProvStatement> {
    const audit = await this.prisma.leakageAudit.findUniqueOrThrow({ where: { id: auditId }, include: { runs: true } });
    const reference = nodeRef(audit.id);
    yield {
      kind: 'activity',
      id: reference,
      attributes: {
        ...times(audit.startedAt, audit.finishedAt),
        'prov:type': type('brownian:LeakageAudit'),
        'brownian:status': audit.status,
        'brownian:scope': audit.scope,
        'brownian:topK': audit.topK,
        'brownian:threshold': jsonLiteral(audit.threshold),
        'brownian:recognizerSha256': audit.recognizerDigest,
        ...(audit.error ? { 'brownian:error': audit.error } : {}),
      },
    };
    const gallery = yield* this.gallery(audit.galleryId, audit.galleryDigest);
    if (gallery) {
      yield this.relation('used', {
        'prov:activity': reference,
        'prov:entity': gallery,
        'prov:role': type('brownian:gallery'),
      });
    }
    if (audit.datasetId) {
      const dataset = yield* this.dataset(audit.datasetId, false);
      yield this.relation('used', { 'prov:activity': reference, 'prov:entity': dataset });
    }
    for (const { runId } of audit.runs) {
      yield* this.runChain(runId);
      yield this.relation('wasInformedBy', { 'prov:informed': reference, 'prov:informant': nodeRef(runId) });
    }
    if (audit.followsAuditId) {
      yield this.relation('wasInformedBy', {
        'prov:informed': reference,
        'prov:informant': nodeRef(audit.followsAuditId),
      });
    }
    const requester = yield* this.apiKeyAgent(audit.createdById);
    if (requester) yield this.relation('wasAssociatedWith', { 'prov:activity': reference, 'prov:agent': requester });
    if (audit.summary !== null) {
      const report = partRef(audit.id, 'report');
      yield {
        kind: 'entity',
        id: report,
        attributes: {
          'prov:type': type('brownian:AuditReport'),
          'brownian:sha256': sha256(canonicalJson(audit.summary)),
          'brownian:summary': jsonLiteral(audit.summary),
        },
      };
      yield this.relation('wasGeneratedBy', { 'prov:entity': report, 'prov:activity': reference });
      if (requester) yield this.relation('wasAttributedTo', { 'prov:entity': report, 'prov:agent': requester });
    }
  }
}
