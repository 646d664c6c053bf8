import type { PrismaClient } from '../core/db/client.js';
import type * as db from '../generated/prisma/client.js';

/** A worker is alive while its last heartbeat is under three heartbeat intervals old. */
export function liveWorkers(prisma: PrismaClient, heartbeatSeconds: number): Promise<db.WorkerHeartbeat[]> {
  return prisma.workerHeartbeat.findMany({
    where: { lastSeenAt: { gt: new Date(Date.now() - 3 * heartbeatSeconds * 1000) } },
    orderBy: { id: 'asc' },
  });
}
