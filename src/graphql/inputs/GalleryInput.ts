import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'A gallery of real-face embeddings, uploaded as a float32 file of M rows' })
export class GalleryInput {
  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: 'Length of each embedding; must match the packs it is used with' })
  embeddingDim!: number;

  @Field(() => Int, { description: 'Number of embeddings M in the file: its size must be M × embeddingDim × 4 bytes' })
  count!: number;

  @Field(() => String, { description: 'Object key (from createUploadUrl) of the little-endian float32 M×embeddingDim file' })
  embeddingsKey!: string;

  @Field(() => [String], { nullable: true, description: 'One label per row (e.g. subject ids); default row numbers' })
  labels?: string[];
}
