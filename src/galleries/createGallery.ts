import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { float32ToBytes } from '../core/db/floats.js';
import type * as db from '../generated/prisma/client.js';
import type { ModelPackId } from '../core/ids/ids.js';
import { checkId, checkUploadKey } from '../graphql/args.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { badUserInput, type FieldProblem } from '../graphql/errors.js';
import type { GalleryInput } from '../graphql/inputs/GalleryInput.js';
import { decodeLabelsFile } from '../core/galleries/labelsFile.js';
import { EmbeddingFileError, openEmbeddingFile } from './embeddingFile.js';
import { encodeImpostors, ImpostorReservoir } from '../core/audits/impostors.js';
import { recognizerDigestOf } from './recognizer.js';
import { createImageGallery } from './createImageGallery.js';

const maxEmbeddingDim = 65_536;
const maxSubjects = 10_000_000;
const maxLabelLength = 200;
const insertBatch = 2000;
const digestPattern = /^[0-9a-f]{64}$/;

/**
 * Registers a gallery from an uploaded embedding file: every row checked, subjects and the
 * impostor distribution written with the audit-log entry in one transaction. The uploaded files
 * are removed afterwards, so the embeddings live in one place only and deleteGallery removes them.
 */
export async function createGallery(
  context: GraphQLContext,
  input: GalleryInput,
): Promise<{ gallery: db.Gallery; subjects: number }> {
  if (input.imagesKey !== undefined && input.imagesKey !== null)
    return { gallery: await createImageGallery(context, input), subjects: 0 };
  if (input.embeddingsKey === undefined || input.embeddingsKey === null)
    throw badUserInput([
      { field: 'input.embeddingsKey', message: 'give an embeddings file, or images with imagesKey' },
    ]);
  const embeddingsKey = input.embeddingsKey;
  const { store, prisma } = context.services;
  const problems: FieldProblem[] = [];
  if (input.name.trim().length === 0) problems.push({ field: 'input.name', message: 'must not be empty' });
  if (
    input.embeddingDim !== undefined &&
    input.embeddingDim !== null &&
    (!Number.isInteger(input.embeddingDim) || input.embeddingDim < 1 || input.embeddingDim > maxEmbeddingDim)
  ) {
    problems.push({ field: 'input.embeddingDim', message: `must be an integer from 1 to ${maxEmbeddingDim}` });
  }
  if (
    input.count !== undefined &&
    input.count !== null &&
    (!Number.isInteger(input.count) || input.count < 1 || input.count > maxSubjects)
  ) {
    problems.push({ field: 'input.count', message: `must be an integer from 1 to ${maxSubjects}` });
  }
  if (input.labels && input.labelsKey)
    problems.push({ field: 'input.labelsKey', message: 'give labels or labelsKey, not both' });
  checkUploadKey(embeddingsKey, 'input.embeddingsKey', problems);
  if (input.labelsKey) checkUploadKey(input.labelsKey, 'input.labelsKey', problems);
  const { recognizerDigest, packEmbeddingDim } = await recognizerFromInput(context, input, problems);
  if (problems.length > 0) throw badUserInput(problems);
  if (!(await store.exists(embeddingsKey)))
    throw badUserInput([{ field: 'input.embeddingsKey', message: `no object ${embeddingsKey}` }]);
  if (input.labelsKey && !(await store.exists(input.labelsKey)))
    throw badUserInput([{ field: 'input.labelsKey', message: `no object ${input.labelsKey}` }]);

  const size = (await store.size(embeddingsKey)) ?? 0;
  const fileField = 'input.embeddingsKey';
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const source = (await store.getStream(embeddingsKey)).pipe(hashing);
  const file = await fileError(fileField, () =>
    openEmbeddingFile(source, size, input.embeddingDim ?? undefined, input.count ?? undefined),
  );
  const { rows, dim } = file.layout;
  try {
    if (packEmbeddingDim !== undefined && dim !== packEmbeddingDim)
      throw badUserInput([
        { field: fileField, message: `rows have ${dim} values; the pack's recognizer gives ${packEmbeddingDim}` },
      ]);
    const labels = input.labelsKey
      ? decodeLabelsFile(await store.getBytes(input.labelsKey))
      : (input.labels ?? Array.from({ length: rows }, (_, i) => String(i)));
    const labelField = input.labelsKey ? 'input.labelsKey' : 'input.labels';
    if (labels.length !== rows)
      throw badUserInput([{ field: labelField, message: `has ${labels.length} labels for ${rows} embeddings` }]);
    const badLabel = labels.findIndex((label) => label.trim().length === 0 || label.length > maxLabelLength);
    if (badLabel >= 0)
      throw badUserInput([
        { field: labelField, message: `label ${badLabel} is empty or longer than ${maxLabelLength} characters` },
      ]);
    const rowsPerLabel = new Map<string, number>();
    for (const label of labels) rowsPerLabel.set(label, (rowsPerLabel.get(label) ?? 0) + 1);

    // The rows stream from the object store into the transaction a chunk at a time: a bad row found
    // late rolls back every row before it, and memory holds one chunk and the impostor reservoir.
    const gallery = await prisma.$transaction(
      async (tx) => {
        const row = await tx.gallery.create({
          data: {
            name: input.name.trim(),
            embeddingDim: dim,
            digest: '',
            recognizerDigest,
            maxRowsPerSubject: Math.max(...rowsPerLabel.values()),
            createdById: context.principal.keyId,
          },
        });
        const reservoir = new ImpostorReservoir(dim);
        await fileError(fileField, async () => {
          for await (const chunk of file.chunks) {
            const chunkLabels = labels.slice(chunk.first, chunk.first + chunk.rows);
            reservoir.offer(chunk.values, chunkLabels);
            for (let start = 0; start < chunk.rows; start += insertBatch) {
              const end = Math.min(start + insertBatch, chunk.rows);
              await tx.gallerySubject.createMany({
                data: chunkLabels.slice(start, end).map((label, i) => ({
                  galleryId: row.id,
                  row: chunk.first + start + i,
                  label,
                  embedding: float32ToBytes(chunk.values.subarray((start + i) * dim, (start + i + 1) * dim)),
                })),
              });
            }
          }
        });
        // Every byte of the file has passed through the hash: its size was checked against its shape.
        const digest = hash.digest('hex');
        const settled = await tx.gallery.update({
          where: { id: row.id },
          data: { digest, impostorSimilarities: encodeImpostors(reservoir.similarities(digest)) },
        });
        await tx.auditLogEntry.create({
          data: auditEntry(context, 'createGallery', row.id, {
            name: row.name,
            rows,
            subjects: rowsPerLabel.size,
            digest,
            recognizerDigest,
          }),
        });
        return settled;
      },
      { timeout: 600_000 },
    );
    for (const key of [embeddingsKey, input.labelsKey]) if (key) await store.remove(key);
    return { gallery, subjects: rows };
  } finally {
    await file.chunks.return(undefined);
  }
}

/** A file that is not a gallery is a BAD_USER_INPUT on its field; other errors pass through. */
async function fileError<T>(field: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof EmbeddingFileError) throw badUserInput([{ field, message: error.message }]);
    throw error;
  }
}

/** The recognizer named by modelPackId (with the dimension it gives) or by recognizerDigest. */
async function recognizerFromInput(
  context: GraphQLContext,
  input: GalleryInput,
  problems: FieldProblem[],
): Promise<{ recognizerDigest: string; packEmbeddingDim?: number }> {
  const hasPack = input.modelPackId !== undefined && input.modelPackId !== null;
  const hasDigest = input.recognizerDigest !== undefined && input.recognizerDigest !== null;
  if (hasPack === hasDigest) {
    problems.push({
      field: 'input.modelPackId',
      message: 'name the recognizer that made the embeddings: modelPackId or recognizerDigest, one of them',
    });
    return { recognizerDigest: '' };
  }
  if (hasDigest) {
    if (!digestPattern.test(input.recognizerDigest!))
      problems.push({ field: 'input.recognizerDigest', message: 'must be 64 lowercase hex digits (sha256)' });
    return { recognizerDigest: input.recognizerDigest! };
  }
  const packId = checkId<ModelPackId>(input.modelPackId!, 'input.modelPackId', problems);
  if (!packId) return { recognizerDigest: '' };
  const pack = await context.services.prisma.modelPack.findUnique({ where: { id: packId } });
  const digest = recognizerDigestOf(pack?.manifest);
  if (!pack || !digest) {
    problems.push({ field: 'input.modelPackId', message: `no model pack ${packId}` });
    return { recognizerDigest: '' };
  }
  return { recognizerDigest: digest, packEmbeddingDim: pack.embeddingDim };
}
