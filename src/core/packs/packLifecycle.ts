import type { PrismaClient } from '../db/client.js';
import { publishPackEvent } from '../events/packEvents.js';
import type { ModelPackId } from '../ids/ids.js';
import { PackStatus } from '../../generated/prisma/enums.js';
import type * as db from '../../generated/prisma/client.js';

/** Why no run may start on `pack` yet, or null when it may (it is READY). */
export function packNotReady(pack: Pick<db.ModelPack, 'id' | 'status' | 'error'>): string | null {
  switch (pack.status) {
    case PackStatus.READY:
      return null;
    case PackStatus.PENDING:
      return `model pack ${pack.id} is PENDING: a worker has not finished its dry run; runs start on READY packs (see modelPackStatus)`;
    case PackStatus.REJECTED:
      return `model pack ${pack.id} is REJECTED (${pack.error ?? 'no reason recorded'}); runs start on READY packs`;
  }
}

/**
 * The end of a pack's dry run: PENDING becomes READY or REJECTED, written and announced (on the
 * event channel, for modelPackStatus subscribers) in one transaction. False when the pack is not
 * PENDING (a retried job finding the work done): nothing is written.
 */
export async function settlePack(
  prisma: PrismaClient,
  packId: ModelPackId,
  outcome: { status: 'READY' } | { status: 'REJECTED'; error: string },
): Promise<boolean> {
  const error = outcome.status === PackStatus.REJECTED ? outcome.error : null;
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.modelPack.updateMany({
      where: { id: packId, status: PackStatus.PENDING },
      data: { status: outcome.status, error, verifiedAt: new Date() },
    });
    if (count === 0) return false;
    await publishPackEvent(tx, { packId, status: outcome.status, error });
    return true;
  });
}
