import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { createGallery } from '../../galleries/createGallery.js';
import { deleteGallery } from '../../galleries/deleteGallery.js';
import type { GalleryId } from '../../core/ids/ids.js';
import { galleryStatusStream } from '../../galleries/galleryStatusStream.js';
import { parseId } from '../args.js';
import { keysetPage, pageOf, pageRequest } from '../connections.js';
import { downloadUrl } from '../downloads.js';
import { DownloadUrl } from '../types/DownloadUrl.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { GalleryInput } from '../inputs/GalleryInput.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { GalleryConnection, GallerySubjectConnection } from '../types/Connections.js';
import { Gallery, GallerySubject, GalleryStatusUpdate } from '../types/Gallery.js';
import { toGallery } from '../mappers.js';
import { readGallery } from '../protectedReads.js';

/** Review URLs show faces: they expire after 15 minutes unless asked otherwise. */
const imageUrlSeconds = 900;

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
    const rows = await prisma.gallery.findMany({
      ...keysetPage(request, {}, 'asc'),
      take: request.limit,
      include: { _count: { select: { subjects: true } } },
    });
    const galleries = pageOf(
      rows.map((row) => toGallery(row, row._count.subjects)),
      request,
      () => prisma.gallery.count(),
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

  @FieldResolver(() => GallerySubjectConnection, {
    description: "The gallery's rows in order (labels; images through imageUrl); every page read is in the audit log",
  })
  async subjects(
    @Root() gallery: Gallery,
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<GallerySubjectConnection> {
    authorize(context, Permission.Audit);
    const request = pageRequest(page, ['index']);
    const forward = request.direction === 'forward';
    const cursorRow = request.cursor?.[0] as number | undefined;
    const { prisma } = context.services;
    const rows = await prisma.gallerySubject.findMany({
      where: {
        galleryId: gallery.id,
        ...(cursorRow === undefined ? {} : { row: forward ? { gt: cursorRow } : { lt: cursorRow } }),
      },
      orderBy: { row: forward ? 'asc' : 'desc' },
      take: request.limit,
      select: { id: true, row: true, label: true, imageKey: true },
    });
    const subjects = pageOf(
      rows,
      request,
      () => Promise.resolve(gallery.subjectCount),
      (row) => [row.row],
    );
    await prisma.auditLogEntry.create({
      data: auditEntry(context, 'readGallerySubjects', gallery.id, {
        rows: subjects.edges.map((edge) => edge.node.row),
      }),
    });
    return subjects;
  }

  @Mutation(() => Boolean, {
    description: 'Deletes every row and object of a gallery; audits that used it keep their summaries',
  })
  async deleteGallery(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    authorize(context, Permission.Audit);
    await deleteGallery(context, parseId<GalleryId>(id, 'id'));
    return true;
  }

  @Subscription(() => GalleryStatusUpdate, {
    description:
      "A gallery's status now, then its change from PENDING (images being embedded) to READY or FAILED; ends once settled",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { id: string }, GraphQLContext>) =>
      galleryStatusStream(context, parseId<GalleryId>(args.id, 'id')),
  })
  galleryStatus(@Root() event: GalleryStatusUpdate, @Arg('id', () => ID) _id: string): GalleryStatusUpdate {
    return event;
  }
}

/** A gallery row's face image, for auditors reviewing it: each URL handed out is in the audit log. */
@Resolver(() => GallerySubject)
export class GallerySubjectResolver {
  @FieldResolver(() => DownloadUrl, {
    nullable: true,
    description: 'Presigned GET URL of the face image (galleries made from images); null for embeddings-only rows',
  })
  async imageUrl(
    @Root() subject: GallerySubject,
    @Ctx() context: GraphQLContext,
    @Arg('expiresIn', () => Int, { defaultValue: imageUrlSeconds, description: 'seconds the URL stays valid' })
    expiresIn: number,
  ): Promise<DownloadUrl | null> {
    authorize(context, Permission.Audit);
    if (!subject.imageKey) return null;
    const url = await downloadUrl(context, subject.imageKey, expiresIn);
    await context.services.prisma.auditLogEntry.create({
      data: auditEntry(context, 'presignGalleryImage', subject.id, {
        row: subject.row,
        expiresAt: url.expiresAt.toISOString(),
      }),
    });
    return url;
  }
}
