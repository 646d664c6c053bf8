import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './Node.js';

/**
 * A latent and an embedding as stored (little-endian float32). Pages read without them: as JSON
 * they are 512 numbers each, and most queries never ask (docs/operations.md, "Under load").
 */
export interface StoredVectors {
  latent: Uint8Array;
  embedding: Uint8Array;
}

@ObjectType({ description: 'A synthetic reference identity produced by a Langevin run', implements: Node })
export class Identity {
  @Field(() => ID)
  id!: string;

  runId!: string;

  @Field(() => Int)
  index!: number;

  /** The stored vectors when the row was read with them; `latent` and `embedding` load them otherwise. */
  vectors?: StoredVectors;

  @Field(() => String, { description: 'Object key of the PNG image' })
  imageKey!: string;

  @Field(() => String)
  imageSha256!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: 'A variation of an identity produced by a Dispersion or DisCo run', implements: Node })
export class Sample {
  @Field(() => ID)
  id!: string;

  identityId!: string;
  runId!: string;

  @Field(() => ID, { description: 'The shard of the run that made it' })
  shardId!: string;

  @Field(() => Int, { description: 'Class label in the exported dataset' })
  label!: number;

  @Field(() => Int)
  variation!: number;

  /** The stored vectors when the row was read with them; `latent` and `embedding` load them otherwise. */
  vectors?: StoredVectors;

  @Field(() => String)
  imageKey!: string;

  @Field(() => String)
  imageSha256!: string;

  @Field(() => [Float], {
    description:
      'DisCo: u_d·s_d along each covariate direction of the run (parameters.covariates.names); empty for Dispersion',
  })
  covariateCoefficients!: number[];

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: 'Another identity of the same run and its angle (radians) to this one' })
export class IdentityNeighbour {
  @Field(() => Identity)
  identity!: Identity;

  @Field(() => Float, { description: 'Angle between the two embeddings, in radians' })
  angle!: number;
}
