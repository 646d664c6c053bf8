import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { GeneratorInputValueInput } from './GeneratorInputValueInput.js';
import { DEFAULT_DISPERSION_PARAMS as defaults } from '../../core/runs/dispersionParams.js';
import {
  defaultDispersionCheckpointEvery,
  defaultPrincipalDirections,
  defaultShardSize,
} from '../../core/runs/dispersionRunParameters.js';
import { defaultText, withDefault } from '../../core/runs/parameterDescriptions.js';
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

  @Field(() => Int, {
    nullable: true,
    description: withDefault('A, variations per identity (at least 2)', defaults.variations),
  })
  numVariations?: number;

  @Field(() => Int, { nullable: true, description: `Default ${defaultText(defaults.iterations)}` })
  iterations?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('k_e, pull towards the reference embedding', defaults.embeddingCoefficient),
  })
  embeddingCoefficient?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('k_w, latent repulsion between variations', defaults.latentCoefficient),
  })
  latentCoefficient?: number;

  @Field(() => Float, {
    nullable: true,
    description: `${withDefault('r0, Euclidean radius of the latent repulsion', defaults.latentRadius)}, or the pack's`,
  })
  latentRadius?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('k_g, pull towards w_avg', defaults.globalCoefficient),
  })
  globalCoefficient?: number;

  @Field(() => Float, { nullable: true, description: withDefault('η', defaults.randomForce) })
  randomForce?: number;

  @Field(() => Float, { nullable: true, description: withDefault('μ', defaults.viscosity) })
  viscosity?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('Positive: fixed step; negative: adaptive step of that factor', defaults.timestep),
  })
  timestep?: number;

  @Field(() => Float, {
    nullable: true,
    description: `${withDefault('σ of the initial variations', defaults.initialNoise)}, or the pack's`,
  })
  initialNoise?: number;

  @Field(() => String, { nullable: true, description: 'Unsigned 64-bit seed, as a string; default random' })
  seed?: string;

  @Field(() => Int, { nullable: true, description: withDefault('Identities per shard job', defaultShardSize) })
  shardSize?: number;

  @Field(() => Int, {
    nullable: true,
    description: withDefault('Latents per forward/backward batch', defaults.batchSize),
  })
  batchSize?: number;

  @Field(() => Int, {
    nullable: true,
    description: withDefault('Each shard checkpoints every this many iterations', defaultDispersionCheckpointEvery),
  })
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
    description: withDefault('PRINCIPAL_DIRECTIONS: how many principal directions of W', defaultPrincipalDirections),
  })
  principalDirections?: number;

  @Field(() => [GeneratorInputValueInput], {
    nullable: true,
    description:
      "Constant generator inputs set for this run (EG3D's camera); default: the parent run's, else the pack's",
  })
  generatorInputs?: GeneratorInputValueInput[];
}
