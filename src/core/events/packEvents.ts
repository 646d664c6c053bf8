import type * as db from '../../generated/prisma/client.js';
import type { PackStatus } from '../../generated/prisma/enums.js';
import type { ModelPackId } from '../ids/ids.js';

/** Model-pack status changes travel on their own channel, beside run and audit events. */
export const packEventChannel = 'brownian_pack_events';

/** A model pack's dry run ended: READY, or REJECTED with the reason. */
export interface PackStatusEvent {
  packId: ModelPackId;
  status: PackStatus;
  error: string | null;
}

/** NOTIFY inside the caller's Prisma transaction: delivered at its commit. */
export async function publishPackEvent(
  tx: Pick<db.Prisma.TransactionClient, '$executeRaw'>,
  event: PackStatusEvent,
): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${packEventChannel}, ${JSON.stringify(event)})`;
}
