import {
  Arg,
  Args,
  Ctx,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { ModelPackId } from '../../core/ids/ids.js';
import { manifestFileName } from '../../core/packs/manifest.js';
import { PackError } from '../../core/packs/PackError.js';
import { packStatusEvents, registerPack } from '../../packs/registerPack.js';
import { parseId, parseUploadKey } from '../args.js';
import { keysetPage, pageOf, pageRequest } from '../connections.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { ModelPackInput } from '../inputs/ModelPackInput.js';
import { toModelPack } from '../mappers.js';
import { ConnectionArguments } from '../types/ConnectionArgs.js';
import { ModelPackConnection } from '../types/Connections.js';
import { ModelPack, ModelPackStatusEvent } from '../types/ModelPack.js';

@Resolver(() => ModelPack)
export class ModelPackResolver {
  @Query(() => ModelPackConnection, { description: 'Registered model packs, oldest first' })
  async modelPacks(
    @Ctx() context: GraphQLContext,
    @Args(() => ConnectionArguments) page: ConnectionArguments,
  ): Promise<ModelPackConnection> {
    authorize(context, Permission.Read);
    const request = pageRequest(page, ['timestamp', 'id']);
    const { prisma } = context.services;
    const rows = await prisma.modelPack.findMany({ ...keysetPage(request, {}, 'asc'), take: request.limit });
    return pageOf(
      rows.map(toModelPack),
      request,
      () => prisma.modelPack.count(),
      (pack) => [pack.createdAt.toISOString(), pack.id],
    );
  }

  @Query(() => ModelPack, { nullable: true })
  async modelPack(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ModelPack | null> {
    authorize(context, Permission.Read);
    const row = await context.loaders.modelPack.load(parseId<ModelPackId>(id, 'id'));
    return row ? toModelPack(row) : null;
  }

  @Mutation(() => ModelPack, {
    description:
      'Checks an uploaded pack (manifest against its schema, every file present with its size and digest) and registers it ' +
      'under its digest as PENDING; a worker dry-runs it and makes it READY or REJECTED (follow modelPackStatus). Runs start ' +
      'only on READY packs. Registering the same pack again returns the existing one; a pack that fails a check registers nothing.',
  })
  async registerModelPack(
    @Ctx() context: GraphQLContext,
    @Arg('input', () => ModelPackInput) input: ModelPackInput,
  ): Promise<ModelPack> {
    authorize(context, Permission.Operate);
    const keys = new Map(input.files.map((f, i) => [f.file, parseUploadKey(f.key, `input.files.${i}.key`)]));
    keys.set(manifestFileName, parseUploadKey(input.manifestKey, 'input.manifestKey'));
    try {
      return toModelPack(await registerPack(context, keys));
    } catch (error) {
      if (error instanceof PackError) {
        const field =
          error.code === 'file-missing'
            ? 'input.files'
            : error.field === manifestFileName
              ? 'input.manifestKey'
              : `manifest.${error.field}`;
        throw badUserInput([{ field, message: `${error.message} [${error.code}]` }]);
      }
      throw error;
    }
  }

  @Subscription(() => ModelPackStatusEvent, {
    description: "A pack's status now, then its change from PENDING to READY or REJECTED; ends once it is settled",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { id: string }, GraphQLContext>) => {
      authorize(context, Permission.Read);
      return packStatusEvents(context, parseId<ModelPackId>(args.id, 'id'));
    },
  })
  modelPackStatus(@Root() event: ModelPackStatusEvent, @Arg('id', () => ID) _id: string): ModelPackStatusEvent {
    return event;
  }
}
