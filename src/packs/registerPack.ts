import type * as db from '../generated/prisma/client.js';
import { PackStatus } from '../generated/prisma/enums.js';
import { jsonColumn } from '../core/db/json.js';
import type { PackStatusEvent } from '../core/events/packEvents.js';
import type { ModelPackId } from '../core/ids/ids.js';
import { checkStoredPack } from '../core/packs/checkStoredPack.js';
import { manifestFileName, packFiles } from '../core/packs/manifest.js';
import { JobName } from '../core/queue/jobQueue.js';
import { packPrefix } from '../core/store/keys.js';
import { auditEntry, type GraphQLContext } from '../graphql/context.js';
import { notFound } from '../graphql/errors.js';

/**
 * registerModelPack: checks what the API can check without running a model, copies the files
 * under the pack's digest and registers it PENDING with a dry-run job for a worker. A pack
 * registered before returns as it is; one still PENDING gets its job again (a no-op when the job
 * is still queued), so a registration whose enqueue failed is mended by pushing the pack again.
 * Throws a PackError naming the manifest field at fault.
 */
export async function registerPack(context: GraphQLContext, keys: ReadonlyMap<string, string>): Promise<db.ModelPack> {
  const { prisma, store, queue } = context.services;
  const { manifest, digest } = await checkStoredPack(store, (file) => keys.get(file));
  let pack = await prisma.modelPack.findUnique({ where: { digest } });
  if (!pack) {
    const prefix = packPrefix(digest);
    // The digests were just checked; recording them means a file swapped after the check fails every later read.
    for (const { file, sha256 } of [...packFiles(manifest), { file: manifestFileName, sha256: undefined }]) {
      await store.copy(keys.get(file)!, `${prefix}${file}`, sha256);
    }
    pack = await prisma.$transaction(async (tx) => {
      const created = await tx.modelPack.upsert({
        where: { digest },
        update: {},
        create: {
          name: manifest.name,
          digest,
          manifest: jsonColumn(manifest),
          storagePrefix: prefix,
          latentDim: manifest.latentDim,
          embeddingDim: manifest.embeddingDim,
          status: PackStatus.PENDING,
        },
      });
      await tx.auditLogEntry.create({
        data: auditEntry(context, 'registerModelPack', created.id, { digest, name: manifest.name }),
      });
      return created;
    });
  }
  if (pack.status === PackStatus.PENDING)
    await queue.enqueue(JobName.packCheck, { packId: pack.id as ModelPackId }, pack.id);
  return pack;
}

/**
 * The pack's status now, then its settlement. Listening starts before the row is read, so a
 * settlement between the two is not missed; the stream ends once the pack is READY or REJECTED.
 */
export async function* packStatusEvents(context: GraphQLContext, packId: ModelPackId): AsyncGenerator<PackStatusEvent> {
  const events = context.services.events.packEvents(packId);
  try {
    const pack = await context.services.prisma.modelPack.findUnique({ where: { id: packId } });
    if (!pack) throw notFound('model pack', packId);
    yield { packId, status: pack.status, error: pack.error };
    if (pack.status !== PackStatus.PENDING) return;
    for await (const event of events) {
      yield event;
      if (event.status !== PackStatus.PENDING) return;
    }
  } finally {
    await events.return?.();
  }
}
