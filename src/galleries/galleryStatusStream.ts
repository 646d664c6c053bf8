import { Permission } from '../auth/roles.js';
import type { GalleryStatusEvent } from '../core/events/galleryEvents.js';
import type { GalleryId } from '../core/ids/ids.js';
import { GalleryStatus } from '../generated/prisma/enums.js';
import { authorize, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';

/**
 * What a `galleryStatus` subscriber receives: the gallery as it is now, then its change from
 * PENDING to READY or FAILED; it ends once the gallery is settled (at once for a settled one).
 * Listening starts before the row is read, so the change cannot fall between the two.
 */
export async function* galleryStatusStream(
  context: GraphQLContext,
  galleryId: GalleryId,
): AsyncGenerator<GalleryStatusEvent> {
  authorize(context, Permission.Audit);
  const { prisma, events } = context.services;
  const live = events.galleryEvents(galleryId);
  try {
    const gallery = await prisma.gallery.findUnique({
      where: { id: galleryId },
      include: { _count: { select: { subjects: true } } },
    });
    if (!gallery) throw notFound('gallery', galleryId);
    yield { galleryId, status: gallery.status, error: gallery.error, subjectCount: gallery._count.subjects };
    if (gallery.status !== GalleryStatus.PENDING) return;
    for await (const event of live) {
      yield event;
      if (event.status !== GalleryStatus.PENDING) return;
    }
  } finally {
    await live.return?.();
  }
}
