import type { PrismaClient } from '../db/client.js';
import { ExportStatus, type ExportFormat } from '../../generated/prisma/enums.js';
import { writeExportStatus } from './exportLifecycle.js';
import type * as db from '../../generated/prisma/client.js';
import { isUuid, type DatasetExportId } from '../ids/ids.js';
import { JobName, type JobQueue } from '../queue/jobQueue.js';
import type { ParameterProblem } from '../runs/parameterProblems.js';
import { decodeStoredManifest } from '../packs/storedManifest.js';
import { ExportContent, ExportCrop, exportOptions, type ExportOptions } from './exportOptions.js';

export type RequestExportResult =
  { export: db.DatasetExport; problems?: undefined } | { export?: undefined; problems: ParameterProblem[] };

/** Validates an export of a dataset, writes its row and queues the job that writes it. */
export async function requestExport(
  services: { prisma: PrismaClient; queue: JobQueue },
  input: { datasetId: string; format: ExportFormat; options: Partial<ExportOptions> },
  apiKeyId: string | null,
): Promise<RequestExportResult> {
  const { prisma, queue } = services;
  const problems: ParameterProblem[] = [];
  const options = exportOptions(input.options, problems);
  const dataset = isUuid(input.datasetId)
    ? await prisma.dataset.findUnique({ where: { id: input.datasetId.toLowerCase() } })
    : null;
  if (!dataset) problems.push({ field: 'datasetId', message: `no dataset ${input.datasetId}` });
  if (problems.length > 0 || !dataset) return { problems };
  if (options.crop === ExportCrop.aligned) {
    const runs = await prisma.datasetRun.findMany({
      where: { datasetId: dataset.id },
      select: { run: { select: { modelPack: { select: { name: true, manifest: true } } } } },
    });
    const byLandmarks = runs
      .map((r) => r.run.modelPack)
      .find((pack) => !decodeStoredManifest(pack.manifest).alignment.crop);
    if (byLandmarks) {
      return {
        problems: [
          {
            field: 'options.crop',
            message: `model pack "${byLandmarks.name}" aligns by landmarks; aligned crops of it are not supported yet, export FULL images`,
          },
        ],
      };
    }
  }
  const total =
    (options.content === ExportContent.samples ? 0 : dataset.identityCount) +
    (options.content === ExportContent.identities ? 0 : dataset.sampleCount);
  if (total === 0)
    return {
      problems: [
        { field: 'options.content', message: `dataset ${dataset.id} has no ${options.content.toLowerCase()}` },
      ],
    };
  const row = await prisma.$transaction(async (tx) => {
    const created = await tx.datasetExport.create({
      data: { datasetId: dataset.id, format: input.format, options: { ...options }, total, createdById: apiKeyId },
    });
    await tx.auditLogEntry.create({
      data: {
        apiKeyId,
        operation: 'exportDataset',
        target: created.id,
        details: { datasetId: dataset.id, format: input.format, options: { ...options } },
      },
    });
    return created;
  });
  try {
    await queue.enqueue(JobName.datasetExport, { exportId: row.id as DatasetExportId }, row.id);
  } catch (error) {
    const failed = await writeExportStatus(prisma, row.id as DatasetExportId, ExportStatus.FAILED, {
      error: `could not be queued: ${(error as Error).message}`,
    });
    return { export: failed ?? row };
  }
  return { export: row };
}
