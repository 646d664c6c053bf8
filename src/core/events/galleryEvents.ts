import type * as db from '../../generated/prisma/client.js';
import type { GalleryStatus } from '../../generated/prisma/enums.js';
import type { GalleryId } from '../ids/ids.js';

/** Gallery status changes travel on their own channel, beside run, audit and pack events. */
export const galleryEventChannel = 'brownian_gallery_events';

/** A gallery made from images left PENDING: READY with its rows, or FAILED with the reason. */
export interface GalleryStatusEvent {
  galleryId: GalleryId;
  status: GalleryStatus;
  error: string | null;
  subjectCount: number;
}

/** NOTIFY inside the caller's Prisma transaction: delivered at its commit. */
export async function publishGalleryEvent(
  tx: Pick<db.Prisma.TransactionClient, '$executeRaw'>,
  event: GalleryStatusEvent,
): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${galleryEventChannel}, ${JSON.stringify(event)})`;
}
