import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import type { ModelPackId } from '../../ids/ids.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { toModelPack } from '../mappers.js';
import { ModelPack } from '../types/ModelPack.js';

@Resolver(() => ModelPack)
export class ModelPackResolver {
  @Query(() => [ModelPack])
  async modelPacks(@Ctx() context: GraphQLContext): Promise<ModelPack[]> {
    authorize(context, Permission.Read);
    const rows = await context.services.prisma.modelPack.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(toModelPack);
  }

  @Query(() => ModelPack, { nullable: true })
  async modelPack(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ModelPack | null> {
    authorize(context, Permission.Read);
    const row = await context.loaders.modelPack.load(parseId<ModelPackId>(id, 'id'));
    return row ? toModelPack(row) : null;
  }
}
