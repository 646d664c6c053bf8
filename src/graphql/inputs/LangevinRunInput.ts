import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { GeneratorInputValueInput } from './GeneratorInputValueInput.js';

/** Fields left out take the paper's settings for 10k identities. */
@InputType({ description: 'A Langevin run: N reference identities spread apart in embedding space' })
export class LangevinRunInput {
  @Field(() => ID)
  modelPackId!: string;

  @Field(() => Int, { description: 'N, the number of identities (at least 2)' })
  numIdentities!: number;

  @Field(() => Int, { nullable: true, description: 'Default 100' })
  iterations?: number;

  @Field(() => Float, { nullable: true, description: 'Inter-class threshold (angle) for prop_ict; default 1.4' })
  ict?: number;

  @Field(() => Float, { nullable: true, description: 'k; default 1.0' })
  repulsionCoefficient?: number;

  @Field(() => Float, { nullable: true, description: 'd0, angular repulsion radius; default 1.4' })
  repulsionRadius?: number;

  @Field(() => Float, { nullable: true, description: 'Negative: adaptive step of that factor; default −0.3' })
  timestep?: number;

  @Field(() => Float, { nullable: true, description: 'μ; default 1.0' })
  viscosity?: number;

  @Field(() => Float, { nullable: true, description: 'η; default 0.01' })
  randomForce?: number;

  @Field(() => Float, { nullable: true, description: 'k_l, pull towards w_avg; default 0.1' })
  latentForce?: number;

  @Field(() => Float, { nullable: true, description: "ψ of the initial latents; default: the pack's" })
  truncationPsi?: number;

  @Field(() => String, { nullable: true, description: 'Unsigned 64-bit seed, as a string; default random' })
  seed?: string;

  @Field(() => Int, { nullable: true, description: 'Latents per forward/backward batch; default 32' })
  batchSize?: number;

  @Field(() => Int, { nullable: true, description: 'Checkpoint every this many iterations; default 5' })
  checkpointEvery?: number;

  @Field(() => ID, { nullable: true, description: 'Gallery of real embeddings that identities are pushed away from' })
  exclusionGalleryId?: string;

  @Field(() => Float, { nullable: true, description: 'c0, angular radius of the exclusion; default 1.4' })
  exclusionDistance?: number;

  @Field(() => String, { nullable: true, description: 'Object key of a float32 N×W file of initial latents' })
  initialLatents?: string;

  @Field(() => ID, { nullable: true, description: 'Run this one continues from, recorded as its parent' })
  parentRunId?: string;

  @Field(() => [GeneratorInputValueInput], {
    nullable: true,
    description: "Constant generator inputs set for this run (EG3D's camera); default: the pack's values",
  })
  generatorInputs?: GeneratorInputValueInput[];
}
