import { Field, ID, InterfaceType } from 'type-graphql';

/** Names the concrete type of an object that `node(id:)` found, for the interface's type resolution. */
export const nodeType = Symbol('nodeType');

export type NodeTypeName =
  'Run' | 'Identity' | 'Sample' | 'ModelPack' | 'Dataset' | 'DatasetExport' | 'Gallery' | 'LeakageAudit' | 'ApiKey';

@InterfaceType({
  description:
    'An object that can be fetched again by its id alone with node(id:) (Relay Global Object Identification)',
  resolveType: (value: { [nodeType]?: NodeTypeName }) => value[nodeType],
})
export abstract class Node {
  @Field(() => ID, { description: 'Globally unique: no two objects of any type share it' })
  id!: string;
}
