import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../auth/roles.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { toIdentity, toModelPack, toRun, toSample } from '../mappers.js';
import { Node, nodeType, type NodeTypeName } from '../types/Node.js';

/** Ids are UUIDs, unique across tables, so an id alone finds its object: one primary-key probe per type. */
async function findNode(context: GraphQLContext, id: string): Promise<Node | null> {
  const { loaders, services } = context;
  const [run, identity, pack, sample] = await Promise.all([
    loaders.run.load(id),
    loaders.identity.load(id),
    loaders.modelPack.load(id),
    services.prisma.sample.findUnique({ where: { id } }),
  ]);
  const tag = <T extends object>(value: T, type: NodeTypeName): T => Object.assign(value, { [nodeType]: type });
  if (run) return tag(toRun(run), 'Run');
  if (identity) return tag(toIdentity(identity), 'Identity');
  if (pack) return tag(toModelPack(pack), 'ModelPack');
  if (sample) return tag(toSample(sample), 'Sample');
  return null;
}

const maxNodes = 100;

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'The run, identity, sample or model pack with this id; null when there is none',
  })
  async node(@Ctx() context: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Node | null> {
    authorize(context, Permission.Read);
    return findNode(context, parseId<string>(id, 'id'));
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `node(id:) for up to ${maxNodes} ids at once, in their order`,
  })
  async nodes(@Ctx() context: GraphQLContext, @Arg('ids', () => [ID]) ids: string[]): Promise<Array<Node | null>> {
    authorize(context, Permission.Read);
    if (ids.length > maxNodes) throw badUserInput([{ field: 'ids', message: `at most ${maxNodes} ids` }]);
    return Promise.all(ids.map((id, i) => findNode(context, parseId<string>(id, `ids.${i}`))));
  }
}
