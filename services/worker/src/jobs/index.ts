import { JobName, verifyQueueFor } from '../../../../src/core/queue/jobQueue.js';
import { auditPlanJob } from '../audit/auditPlanJob.js';
import { auditShardJob } from '../audit/auditShardJob.js';
import type { JobHandlers } from './JobHandler.js';
import { galleryImagesJob } from '../galleries/galleryImagesJob.js';
import { exportDatasetJob } from '../exports/exportDatasetJob.js';
import { dispersionShardJob } from './dispersionShardJob.js';
import { langevinJob } from './langevinJob.js';
import { packCheckJob } from './packCheckJob.js';
import { provenanceExportJob } from './provenanceExportJob.js';
import { verifyJob } from './verifyJob.js';

/** Which handler runs each queue's jobs; a worker only claims jobs it has a handler for. */
export const jobHandlers: JobHandlers = {
  [JobName.langevin]: langevinJob,
  [JobName.auditPlan]: auditPlanJob,
  [JobName.auditShard]: auditShardJob,
  [JobName.dispersion]: dispersionShardJob,
  [JobName.datasetExport]: exportDatasetJob,
  [JobName.galleryImages]: galleryImagesJob,
  [JobName.packCheck]: packCheckJob,
  [JobName.provenanceExport]: provenanceExportJob,
  [JobName.verify]: verifyJob,
};

/**
 * The handlers of a worker on `executionProvider`: every queue, but of the per-provider
 * verification queues only its own, so a verification waits for a worker that can reproduce it.
 */
export function jobHandlersFor(executionProvider: string): JobHandlers {
  return { ...jobHandlers, [verifyQueueFor(executionProvider)]: verifyJob };
}
