import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({
  description:
    'A gallery of real faces: an uploaded float32 embeddings file (raw M×embeddingDim, or NumPy .npy), or a tar of PNG ' +
    'face images (imagesKey) that a worker embeds with the pack of modelPackId',
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
    nullable: true,
    description: 'Object key (from createUploadUrl) of the little-endian float32 file; removed once read',
  })
  embeddingsKey?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Or the object key of a tar of PNG face images of the generator frame, labelled by the folder holding each one ' +
      '(subject/image.png) or by labelsKey (one label per image, in archive order); kept for review, upload removed once read',
  })
  imagesKey?: string;

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
