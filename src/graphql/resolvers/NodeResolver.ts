import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission, roleAllows } from '../../auth/roles.js';
import type { ApiKeyId, AuditId, GalleryId } from '../../core/ids/ids.js';
import { parseId } from '../args.js';
import { authorize, type GraphQLContext } from '../context.js';
import { badUserInput } from '../errors.js';
import { toApiKey, toDataset, toDatasetExport, toIdentity, toModelPack, toRun, toSample } from '../mappers.js';
import { readGallery, readLeakageAudit } from '../protectedReads.js';
import { Node, nodeType, type NodeTypeName } from '../types/Node.js';

interface NodeKind {
  type: NodeTypeName;
  /** What the caller's role must grant to see objects of this kind; node(id:) answers null otherwise. */
  permission: Permission;
  find(context: GraphQLContext, id: string): Promise<Node | null>;
}

/**
 * Ids are UUIDs, unique across tables, so an id alone finds its object: one primary-key probe per
 * kind the caller may see. Galleries and audits are read through their logged reads.
 */
const kinds: readonly NodeKind[] = [
  { type: 'Run', permission: Permission.Read, find: async (c, id) => mapped(await c.loaders.run.load(id), toRun) },
  {
    type: 'Identity',
    permission: Permission.Read,
    find: async (c, id) => mapped(await c.loaders.identity.load(id), toIdentity),
  },
  {
    type: 'ModelPack',
    permission: Permission.Read,
    find: async (c, id) => mapped(await c.loaders.modelPack.load(id), toModelPack),
  },
  {
    type: 'Sample',
    permission: Permission.Read,
    find: async (c, id) => mapped(await c.services.prisma.sample.findUnique({ where: { id } }), toSample),
  },
  {
    type: 'Dataset',
    permission: Permission.Read,
    find: async (c, id) => mapped(await c.services.prisma.dataset.findUnique({ where: { id } }), toDataset),
  },
  {
    type: 'DatasetExport',
    permission: Permission.Read,
    find: async (c, id) => mapped(await c.services.prisma.datasetExport.findUnique({ where: { id } }), toDatasetExport),
  },
  {
    type: 'ApiKey',
    permission: Permission.Admin,
    find: async (c, id) =>
      mapped(await c.services.prisma.apiKey.findUnique({ where: { id: id as ApiKeyId } }), toApiKey),
  },
  { type: 'Gallery', permission: Permission.Audit, find: (c, id) => readGallery(c, id as GalleryId) },
  { type: 'LeakageAudit', permission: Permission.Audit, find: (c, id) => readLeakageAudit(c, id as AuditId) },
];

function mapped<Row, T>(row: Row | null | undefined, map: (row: Row) => T): T | null {
  return row ? map(row) : null;
}

async function findNode(context: GraphQLContext, id: string): Promise<Node | null> {
  const visible = kinds.filter((kind) => roleAllows(context.principal.role, kind.permission));
  const found = await Promise.all(visible.map((kind) => kind.find(context, id)));
  const index = found.findIndex((value) => value !== null);
  if (index < 0) return null;
  return Object.assign(found[index]!, { [nodeType]: visible[index]!.type });
}

const maxNodes = 100;

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'The object with this id (run, identity, sample, model pack, dataset, export; galleries and audits for ' +
      'AUDITOR and ADMIN keys, API keys for ADMIN keys); null when there is none the key may see',
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
