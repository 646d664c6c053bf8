import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { GeneratorInputValueInput } from './GeneratorInputValueInput.js';
import { CovariateSourceEnum } from '../types/enums.js';

/** Fields left out take the paper's settings, or the pack manifest's where it sets its own. */
@InputType({
  description: 'A Dispersion run (or DisCo, with covariates): variations around the identities of a Langevin run',
})
export class DispersionRunInput {
  @Field(() => ID, { description: 'A SUCCEEDED Langevin run; its identities are the references' })
  parentRunId!: string;

  @Field(() => [ID], { nullable: true, description: "A subset of the parent run's identities; default all" })
  identityIds?: string[];

  @Field(() => Int, { nullable: true, description: 'A, variations per identity (at least 2); default 64' })
  numVariations?: number;

  @Field(() => Int, { nullable: true, description: 'Default 20' })
  iterations?: number;

  @Field(() => Float, { nullable: true, description: 'k_e, pull towards the reference embedding; default 20' })
  embeddingCoefficient?: number;

  @Field(() => Float, { nullable: true, description: 'k_w, latent repulsion between variations; default 1' })
  latentCoefficient?: number;

  @Field(() => Float, {
    nullable: true,
    description: "r0, Euclidean radius of the latent repulsion; default 12, or the pack's",
  })
  latentRadius?: number;

  @Field(() => Float, { nullable: true, description: 'k_g, pull towards w_avg; default 1' })
  globalCoefficient?: number;

  @Field(() => Float, { nullable: true, description: 'η; default 0.05' })
  randomForce?: number;

  @Field(() => Float, { nullable: true, description: 'μ; default 1' })
  viscosity?: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Positive: fixed step; negative: adaptive step of that factor; default 0.05',
  })
  timestep?: number;

  @Field(() => Float, { nullable: true, description: "σ of the initial variations; default 0.2, or the pack's" })
  initialNoise?: number;

  @Field(() => String, { nullable: true, description: 'Unsigned 64-bit seed, as a string; default random' })
  seed?: string;

  @Field(() => Int, { nullable: true, description: 'Identities per shard job; default 16' })
  shardSize?: number;

  @Field(() => Int, { nullable: true, description: 'Latents per forward/backward batch; default 32' })
  batchSize?: number;

  @Field(() => Int, { nullable: true, description: 'Each shard checkpoints every this many iterations; default 5' })
  checkpointEvery?: number;

  @Field(() => String, {
    nullable: true,
    description: 'Object key of float32 identities × variations × W latents, identity-major',
  })
  initialLatents?: string;

  @Field(() => CovariateSourceEnum, {
    nullable: true,
    description: 'DisCo: where the covariate directions come from. Set on startDispersionRun it makes the run DisCo',
  })
  covariates?: CovariateSourceEnum;

  @Field(() => Int, {
    nullable: true,
    description: 'PRINCIPAL_DIRECTIONS: how many principal directions of W; default 3',
  })
  principalDirections?: number;

  @Field(() => [GeneratorInputValueInput], {
    nullable: true,
    description:
      "Constant generator inputs set for this run (EG3D's camera); default: the parent run's, else the pack's",
  })
  generatorInputs?: GeneratorInputValueInput[];
}
