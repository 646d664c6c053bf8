import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './Node.js';
import { GalleryStatus } from './enums.js';

@ObjectType({
  description: 'Embeddings of real faces (biometric data): readable by AUDITOR and ADMIN keys only, every read logged',
  implements: Node,
})
export class Gallery {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => GalleryStatus)
  status!: GalleryStatus;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  embeddingDim!: number;

  @Field(() => Int, { description: 'Embedding rows; a subject may have several' })
  subjectCount!: number;

  @Field(() => String, { description: 'sha256 of the embedding file (or image archive) it was made from' })
  digest!: string;

  @Field(() => String, { description: 'sha256 of the recognizer that made the embeddings; audits need the same one' })
  recognizerDigest!: string;

  @Field(() => Int, { description: 'Impostor pairs (different labels) sampled to calibrate false-match rates' })
  impostorPairs!: number;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: "A gallery's status now, then its change from PENDING (images being embedded)" })
export class GalleryStatusUpdate {
  @Field(() => ID)
  galleryId!: string;

  @Field(() => GalleryStatus)
  status!: GalleryStatus;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int, { description: 'Rows written: the faces embedded, once READY' })
  subjectCount!: number;
}

@ObjectType({ description: 'One embedding of a real subject; shown to auditors reviewing a match' })
export class GallerySubject {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  row!: number;

  @Field(() => String)
  label!: string;

  imageKey!: string | null;
}

@ObjectType({ description: "A threshold and the share of the gallery's impostor pairs above it" })
export class ThresholdCalibration {
  @Field(() => Float, { description: 'Cosine similarity; a pair matches when its similarity is above it' })
  cosine!: number;

  @Field(() => Float, { description: 'The same threshold as an angle, radians' })
  angle!: number;

  @Field(() => Float)
  falseMatchRate!: number;
}
