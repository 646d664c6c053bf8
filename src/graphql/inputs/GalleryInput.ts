import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({
  description: 'A gallery of real-face embeddings, uploaded as a float32 file (raw M×embeddingDim, or NumPy .npy)',
})
export class GalleryInput {
  @Field(() => String)
  name!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Length of each embedding: needed for a raw file, checked against a .npy header',
  })
  embeddingDim?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Number of embeddings M: a raw file must be M × embeddingDim × 4 bytes; checked against a .npy header',
  })
  count?: number;

  @Field(() => String, {
    description: 'Object key (from createUploadUrl) of the little-endian float32 file; removed once read',
  })
  embeddingsKey!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'One subject label per row; a subject may have several rows. Default: row numbers',
  })
  labels?: string[];

  @Field(() => String, {
    nullable: true,
    description: 'Object key of a UTF-8 file of labels, one per line, instead of labels',
  })
  labelsKey?: string;

  @Field(() => ID, { nullable: true, description: 'The model pack whose recognizer made these embeddings' })
  modelPackId?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Or the sha256 of that recognizer file, when its pack is not registered',
  })
  recognizerDigest?: string;
}
