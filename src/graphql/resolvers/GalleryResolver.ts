import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { createGallery } from '../../galleries/createGallery.js';
import { deleteGallery } from '../../galleries/deleteGallery.js';
import type { GalleryId } from '../../core/ids/ids.js';
import { parseId } from '../args.js';
import { keysetPage, pageOf, pageRequest } from '../connections.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { GalleryInput } from '../inputs/GalleryInput.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { GalleryConnection } from '../types/Connections.js';
import { Gallery } from '../types/Gallery.js';
import { toGallery } from '../mappers.js';
import { readGallery } from '../protectedReads.js';

/** Galleries are biometric data: AUDITOR and ADMIN only, and every read is in the audit log. */
@Resolver(() => Gallery)
export class GalleryResolver {
  @Query(() => GalleryConnection, { description: 'Galleries, oldest first' })
  async galleries(
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<GalleryConnection> {
    authorize(context, Permission.Audit);
    const request = pageRequest(page, ['timestamp', 'id']);
    const { prisma } = context.services;
    const [rows, totalCount] = await Promise.all([
      prisma.gallery.findMany({
        ...keysetPage(request, {}, 'asc'),
        take: request.limit,
        include: { _count: { select: { subjects: true } } },
      }),
      prisma.gallery.count(),
    ]);
    const galleries = pageOf(
      rows.map((row) => toGallery(row, row._count.subjects)),
      request,
      totalCount,
      (g) => [g.createdAt.toISOString(), g.id],
    );
    await prisma.auditLogEntry.create({
      data: auditEntry(context, 'readGalleries', null, { galleries: galleries.edges.map((edge) => edge.node.id) }),
    });
    return galleries;
  }

  @Query(() => Gallery, { nullable: true })
  async gallery(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Gallery | null> {
    authorize(context, Permission.Audit);
    return readGallery(context, parseId<GalleryId>(id, 'id'));
  }

  @Mutation(() => Gallery, {
    description:
      'Registers a gallery from an uploaded embedding file (raw float32 or .npy); the upload is removed once read',
  })
  async createGallery(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => GalleryInput) input: GalleryInput,
  ): Promise<Gallery> {
    authorize(context, Permission.Audit);
    const { gallery, subjects } = await createGallery(context, input);
    return toGallery(gallery, subjects);
  }

  @Mutation(() => Boolean, {
    description: 'Deletes every row and object of a gallery; audits that used it keep their summaries',
  })
  async deleteGallery(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    authorize(context, Permission.Audit);
    await deleteGallery(context, parseId<GalleryId>(id, 'id'));
    return true;
  }
}
