import { Readable } from 'node:stream';
import { ProvenanceGraph } from '../../../../src/core/provenance/provenanceGraph.js';
import { streamProvJson } from '../../../../src/core/provenance/provJson.js';
import { streamProvN } from '../../../../src/core/provenance/provN.js';
import type { ProvStatement } from '../../../../src/core/provenance/statements.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import { ExportStatus, ProvenanceFormat } from '../../../../src/generated/prisma/enums.js';
import type { JobHandler } from './JobHandler.js';

/** Progress is written every this many statements: often enough for a progress bar, rarely enough not to matter. */
const progressEvery = 5_000;

class ProvenanceExportInterrupted extends Error {}

const writers: Record<ProvenanceFormat, (statements: AsyncIterable<ProvStatement>) => AsyncGenerator<string>> = {
  [ProvenanceFormat.PROV_JSON]: streamProvJson,
  [ProvenanceFormat.PROV_N]: streamProvN,
};

const contentTypes: Record<ProvenanceFormat, string> = {
  [ProvenanceFormat.PROV_JSON]: 'application/json',
  [ProvenanceFormat.PROV_N]: 'text/provenance-notation',
};

async function* asBytes(text: AsyncIterable<string>): AsyncGenerator<Buffer> {
  for await (const chunk of text) yield Buffer.from(chunk, 'utf8');
}

/**
 * Streams the provenance document of one subject to the object store (stored under its sha256):
 * the graph reads outputs in batches and the writers hold one statement at a time, so a dataset of
 * 10,000 identities × 64 samples takes the memory of one batch. A retried export starts again.
 */
export const provenanceExportJob: JobHandler<typeof JobName.provenanceExport> = async (job, services, signal) => {
  const { prisma } = services;
  const row = await prisma.provenanceExport.findUnique({ where: { id: job.data.exportId } });
  if (!row || row.status === ExportStatus.SUCCEEDED || row.status === ExportStatus.FAILED) return 'completed';
  await prisma.provenanceExport.update({
    where: { id: row.id },
    data: { status: ExportStatus.RUNNING, startedAt: new Date(), statements: 0 },
  });
  let statements = 0;
  async function* counted(source: AsyncIterable<ProvStatement>): AsyncGenerator<ProvStatement> {
    for await (const statement of source) {
      if (signal.aborted) throw new ProvenanceExportInterrupted();
      yield statement;
      if (++statements % progressEvery === 0) {
        await prisma.provenanceExport.update({ where: { id: row!.id }, data: { statements } });
      }
    }
  }
  try {
    const graph = new ProvenanceGraph(prisma).statements({ kind: row.subjectKind, id: row.subjectId });
    const text = writers[row.format](counted(graph));
    const blob = await services.store.putContentStream(Readable.from(asBytes(text)), contentTypes[row.format]);
    await prisma.provenanceExport.update({
      where: { id: row.id },
      data: {
        status: ExportStatus.SUCCEEDED,
        statements,
        objectKey: blob.key,
        sha256: blob.sha256,
        size: BigInt(blob.size),
        finishedAt: new Date(),
      },
    });
    services.log.info({ provenanceExportId: row.id, statements, bytes: blob.size }, 'provenance written');
    return 'completed';
  } catch (error) {
    if (!(error instanceof ProvenanceExportInterrupted)) throw error;
    await prisma.provenanceExport.update({ where: { id: row.id }, data: { status: ExportStatus.QUEUED } });
    return 'released';
  }
};
