import { createHash } from 'node:crypto';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { bytesToFloat32, float32ToBytes } from '../../core/db/floats.js';
import type * as db from '../../generated/prisma/client.js';
import type { GalleryId } from '../../core/ids/ids.js';
import { parseId } from '../args.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { badUserInput, notFound } from '../errors.js';
import { GalleryInput } from '../inputs/GalleryInput.js';
import { Gallery } from '../types/Gallery.js';

const maxEmbeddingDim = 65_536;
const maxSubjects = 10_000_000;

function toGallery(row: db.Gallery, subjectCount: number): Gallery {
  return { id: row.id, name: row.name, embeddingDim: row.embeddingDim, digest: row.digest, createdAt: row.createdAt, subjectCount };
}

@Resolver(() => Gallery)
export class GalleryResolver {
  @Query(() => [Gallery])
  async galleries(@Ctx() context: GraphQLContext): Promise<Gallery[]> {
    authorize(context, Permission.Read);
    const rows = await context.services.prisma.gallery.findMany({ orderBy: { createdAt: 'asc' }, include: { _count: { select: { subjects: true } } } });
    return rows.map((row) => toGallery(row, row._count.subjects));
  }

  @Query(() => Gallery, { nullable: true })
  async gallery(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Gallery | null> {
    authorize(context, Permission.Read);
    const row = await context.services.prisma.gallery.findUnique({
      where: { id: parseId<GalleryId>(id, 'id') },
      include: { _count: { select: { subjects: true } } },
    });
    return row ? toGallery(row, row._count.subjects) : null;
  }

  @Mutation(() => Gallery, { description: 'Registers a gallery from an uploaded embedding file' })
  async createGallery(@Ctx() context: GraphQLContext, @Arg('input', () => GalleryInput) input: GalleryInput): Promise<Gallery> {
    authorize(context, Permission.Audit);
    const problems = [];
    if (input.name.trim().length === 0) problems.push({ field: 'input.name', message: 'must not be empty' });
    if (!Number.isInteger(input.embeddingDim) || input.embeddingDim < 1 || input.embeddingDim > maxEmbeddingDim) {
      problems.push({ field: 'input.embeddingDim', message: `must be an integer from 1 to ${maxEmbeddingDim}` });
    }
    if (!Number.isInteger(input.count) || input.count < 1 || input.count > maxSubjects) {
      problems.push({ field: 'input.count', message: `must be an integer from 1 to ${maxSubjects}` });
    }
    if (problems.length > 0) throw badUserInput(problems);
    const { store, prisma } = context.services;
    if (!(await store.exists(input.embeddingsKey))) throw notFound('object', input.embeddingsKey);
    const bytes = await store.getBytes(input.embeddingsKey);
    const count = input.count;
    // A file of another shape can still be a whole number of rows (10×32 floats read as 5×64): the size must match exactly.
    const expectedBytes = count * input.embeddingDim * 4;
    if (bytes.byteLength !== expectedBytes) {
      throw badUserInput([
        {
          field: 'input.embeddingsKey',
          message: `file has ${bytes.byteLength} bytes; ${count} embeddings of dimension ${input.embeddingDim} need ${count} × ${input.embeddingDim} × 4 = ${expectedBytes} bytes`,
        },
      ]);
    }
    const values = bytesToFloat32(bytes);
    if (values.some((v) => !Number.isFinite(v))) {
      throw badUserInput([{ field: 'input.embeddingsKey', message: 'file holds NaN or infinite values' }]);
    }
    const labels = input.labels ?? Array.from({ length: count }, (_, i) => String(i));
    if (labels.length !== count) {
      throw badUserInput([{ field: 'input.labels', message: `has ${labels.length} labels for ${count} embeddings` }]);
    }
    if (new Set(labels).size !== labels.length) throw badUserInput([{ field: 'input.labels', message: 'labels must be unique' }]);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const gallery = await prisma.$transaction(async (tx) => {
      const row = await tx.gallery.create({ data: { name: input.name.trim(), embeddingDim: input.embeddingDim, digest } });
      await tx.gallerySubject.createMany({
        data: labels.map((label, i) => ({
          galleryId: row.id,
          label,
          embedding: float32ToBytes(values.subarray(i * input.embeddingDim, (i + 1) * input.embeddingDim)),
        })),
      });
      await tx.auditLogEntry.create({ data: auditEntry(context, 'createGallery', row.id, { name: row.name, subjects: count, digest }) });
      return row;
    });
    return toGallery(gallery, count);
  }
}
