import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Embeddings of real faces: repelled during generation, matched against in audits' })
export class Gallery {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  embeddingDim!: number;

  @Field(() => Int)
  subjectCount!: number;

  @Field(() => String, { description: 'sha256 of the embedding file it was made from' })
  digest!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}
