import { JobName } from '../../../../src/core/queue/jobQueue.js';
import type { JobHandler } from './JobHandler.js';
import { langevinJob } from './langevinJob.js';

/** Which handler runs each queue's jobs; a worker only claims jobs it has a handler for. */
export const jobHandlers: Partial<Record<JobName, JobHandler>> = {
  [JobName.langevin]: langevinJob,
};
