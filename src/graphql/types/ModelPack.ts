import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PackStatus } from './enums.js';
import { Node } from './Node.js';

@ObjectType({
  description: 'A generator, mapping and recognizer with their manifest; identified by its digest',
  implements: Node,
})
export class ModelPack {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'sha256 of the manifest with its file digests' })
  digest!: string;

  @Field(() => GraphQLJSONObject)
  manifest!: object;

  @Field(() => String, { description: 'Object-store prefix holding the pack files' })
  storagePrefix!: string;

  @Field(() => Int)
  latentDim!: number;

  @Field(() => Int)
  embeddingDim!: number;

  @Field(() => PackStatus, {
    description: 'PENDING until a worker has dry-run the pack; runs start only on READY packs',
  })
  status!: PackStatus;

  @Field(() => String, {
    nullable: true,
    description: 'Why the dry run rejected the pack: the manifest field, the reason and a stable code',
  })
  error!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: "A model pack's status, pushed to modelPackStatus subscribers" })
export class ModelPackStatusEvent {
  @Field(() => ID)
  packId!: string;

  @Field(() => PackStatus)
  status!: PackStatus;

  @Field(() => String, { nullable: true })
  error!: string | null;
}
