import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './Node.js';

@ObjectType({ description: 'A generator, mapping and recognizer with their manifest; identified by its digest', implements: Node })
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

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}
