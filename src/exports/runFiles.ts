import type { PrismaClient } from '../core/db/client.js';
import { RunKind, RunStatus } from '../generated/prisma/enums.js';
import type { ObjectStore } from '../core/store/objectStore.js';
import { runExportKey, type RunFileKind } from '../core/store/keys.js';

/**
 * The object key of a finished run's latents or embeddings file, written on first request from
 * the rows (identities in index order, samples in label and variation order). A succeeded run
 * never changes, so the file, once written, is reused. Undefined while the run has no results.
 */
export async function runFile(
  prisma: PrismaClient,
  store: ObjectStore,
  runId: string,
  kind: RunFileKind,
): Promise<string | undefined> {
  const run = await prisma.run.findUnique({ where: { id: runId }, select: { status: true, kind: true } });
  if (!run || run.status !== RunStatus.SUCCEEDED) return undefined;
  const key = runExportKey(runId, kind);
  if (await store.exists(key)) return key;
  const column = kind === 'latents' ? 'latent' : 'embedding';
  const rows =
    run.kind === RunKind.LANGEVIN
      ? await prisma.identity.findMany({
          where: { runId },
          orderBy: { index: 'asc' },
          select: { latent: true, embedding: true },
        })
      : await prisma.sample.findMany({
          where: { runId },
          orderBy: [{ label: 'asc' }, { variation: 'asc' }],
          select: { latent: true, embedding: true },
        });
  if (rows.length === 0) return undefined;
  await store.putBytes(key, Buffer.concat(rows.map((row) => row[column])));
  return key;
}
