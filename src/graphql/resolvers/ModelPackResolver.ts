import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { ModelPackId } from '../../core/ids/ids.js';
import { jsonColumn } from '../../core/db/json.js';
import { manifestFileName, packFiles } from '../../core/packs/manifest.js';
import { PackError } from '../../core/packs/PackError.js';
import type { VerifiedPack } from '../../core/packs/packVerifier.js';
import { packPrefix } from '../../core/store/keys.js';
import { storePackSource } from '../../core/store/storePackSource.js';
import { parseId, parseUploadKey } from '../args.js';
import { keysetPage, pageOf, pageRequest } from '../connections.js';
import { auditEntry, authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { ModelPackInput } from '../inputs/ModelPackInput.js';
import { toModelPack } from '../mappers.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { ModelPackConnection } from '../types/Connections.js';
import { ModelPack } from '../types/ModelPack.js';

@Resolver(() => ModelPack)
export class ModelPackResolver {
  @Query(() => ModelPackConnection, { description: 'Registered model packs, oldest first' })
  async modelPacks(@Ctx() context: GraphQLContext, @Args(() => ConnectionArguments) page: ConnectionArguments): Promise<ModelPackConnection> {
    authorize(context, Permission.Read);
    const request = pageRequest(page, ['timestamp', 'id']);
    const { prisma } = context.services;
    const [rows, totalCount] = await Promise.all([
      prisma.modelPack.findMany({ ...keysetPage(request, {}, 'asc'), take: request.limit }),
      prisma.modelPack.count(),
    ]);
    return pageOf(rows.map(toModelPack), request, totalCount, (pack) => [pack.createdAt.toISOString(), pack.id]);
  }

  @Query(() => ModelPack, { nullable: true })
  async modelPack(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ModelPack | null> {
    authorize(context, Permission.Read);
    const row = await context.loaders.modelPack.load(parseId<ModelPackId>(id, 'id'));
    return row ? toModelPack(row) : null;
  }

  @Mutation(() => ModelPack, {
    description:
      'Checks an uploaded pack (manifest, file digests, dims, supported ops, a dry run) and registers it under its digest. ' +
      'Registering the same pack again returns the existing one; a pack that fails a check registers nothing.',
  })
  async registerModelPack(@Ctx() context: GraphQLContext, @Arg('input', () => ModelPackInput) input: ModelPackInput): Promise<ModelPack> {
    authorize(context, Permission.Operate);
    const { prisma, store, verifyPack } = context.services;
    const keys = new Map(input.files.map((f, i) => [f.file, parseUploadKey(f.key, `input.files.${i}.key`)]));
    keys.set(manifestFileName, parseUploadKey(input.manifestKey, 'input.manifestKey'));
    let pack: VerifiedPack;
    try {
      pack = await verifyPack(storePackSource(store, 'the uploaded files', (file) => keys.get(file)));
    } catch (error) {
      if (error instanceof PackError) {
        const field = error.code === 'file-missing' ? 'input.files' : error.field === manifestFileName ? 'input.manifestKey' : `manifest.${error.field}`;
        throw badUserInput([{ field, message: `${error.message} [${error.code}]` }]);
      }
      throw error;
    }
    const existing = await prisma.modelPack.findUnique({ where: { digest: pack.digest } });
    if (existing) return toModelPack(existing);
    const prefix = packPrefix(pack.digest);
    // The manifest's digests were just checked; recording them means a file swapped after the check fails every later read.
    for (const { file, sha256 } of [...packFiles(pack.manifest), { file: manifestFileName, sha256: undefined }]) {
      await store.copy(keys.get(file)!, `${prefix}${file}`, sha256);
    }
    const row = await prisma.$transaction(async (tx) => {
      const created = await tx.modelPack.upsert({
        where: { digest: pack.digest },
        update: {},
        create: {
          name: pack.manifest.name,
          digest: pack.digest,
          manifest: jsonColumn(pack.manifest),
          storagePrefix: prefix,
          latentDim: pack.manifest.latentDim,
          embeddingDim: pack.manifest.embeddingDim,
        },
      });
      await tx.auditLogEntry.create({ data: auditEntry(context, 'registerModelPack', created.id, { digest: pack.digest, name: pack.manifest.name }) });
      return created;
    });
    return toModelPack(row);
  }
}
