import type { GalleryId } from '../core/ids/ids.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';
import { galleryPrefix } from '../core/store/keys.js';

/**
 * Removes a gallery's rows and objects. Audits that used it keep their summary and their matches'
 * synthetic side and similarities; the match rows lose the gallery subject (SET NULL), runs lose
 * their exclusion gallery link. Every object of a gallery lives under its prefix, so the objects
 * are removed by listing it once the rows are gone, not by reading keys from the rows.
 */
export async function deleteGallery(context: GraphQLContext, id: GalleryId): Promise<void> {
  const { prisma, store } = context.services;
  const deleted = await prisma.$transaction(async (tx) => {
    const gallery = await tx.gallery.findUnique({ where: { id }, include: { _count: { select: { subjects: true } } } });
    if (!gallery) return null;
    await tx.gallery.delete({ where: { id } });
    await tx.auditLogEntry.create({
      data: auditEntry(context, 'deleteGallery', id, {
        name: gallery.name,
        rows: gallery._count.subjects,
        digest: gallery.digest,
      }),
    });
    return gallery;
  });
  if (!deleted) throw notFound('gallery', id);
  for (const key of await store.listKeys(galleryPrefix(id))) await store.remove(key);
}
