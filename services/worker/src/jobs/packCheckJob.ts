import { PackError } from '../../../../src/core/packs/PackError.js';
import { settlePack } from '../../../../src/core/packs/packLifecycle.js';
import type { JobName } from '../../../../src/core/queue/jobQueue.js';
import { PackStatus } from '../../../../src/generated/prisma/enums.js';
import type { JobHandler } from './JobHandler.js';
import { loadRegisteredPack } from './runModel.js';

/**
 * The dry run of a registered pack, which the API leaves to workers so that it never loads a
 * model: decodes every model, checks dims and gradient support, runs z → w → image → embedding
 * once, and settles the pack READY or REJECTED with the manifest field at fault. An error that is
 * not the pack's (the store unreachable) fails the job, which the queue retries.
 */
export const packCheckJob: JobHandler<typeof JobName.packCheck> = async (job, services) => {
  const { packId } = job.data;
  const pack = await services.prisma.modelPack.findUnique({ where: { id: packId } });
  if (!pack || pack.status !== PackStatus.PENDING) return 'completed';
  const log = services.log.child({ packId, digest: pack.digest });
  try {
    const loaded = await loadRegisteredPack(services, pack);
    if (loaded.digest !== pack.digest) {
      await settlePack(services.prisma, packId, {
        status: PackStatus.REJECTED,
        error: `manifest.json: stored manifest has digest ${loaded.digest}`,
      });
      return 'completed';
    }
  } catch (error) {
    if (!(error instanceof PackError)) throw error;
    await settlePack(services.prisma, packId, {
      status: PackStatus.REJECTED,
      error: `${error.field}: ${error.message} [${error.code}]`,
    });
    log.warn({ field: error.field, code: error.code }, 'model pack rejected');
    return 'completed';
  }
  await settlePack(services.prisma, packId, { status: PackStatus.READY });
  log.info('model pack ready');
  return 'completed';
};
