import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { GeneratorInputValueInput } from './GeneratorInputValueInput.js';
import {
  DEFAULT_LANGEVIN_CHECKPOINT_EVERY,
  DEFAULT_LANGEVIN_PARAMS as defaults,
} from '../../core/runs/langevinParams.js';
import { defaultText, withDefault } from '../../core/runs/parameterDescriptions.js';

/** Fields left out take the paper's settings for 10k identities. */
@InputType({ description: 'A Langevin run: N reference identities spread apart in embedding space' })
export class LangevinRunInput {
  @Field(() => ID)
  modelPackId!: string;

  @Field(() => Int, { description: 'N, the number of identities (at least 2)' })
  numIdentities!: number;

  @Field(() => Int, { nullable: true, description: `Default ${defaultText(defaults.iterations)}` })
  iterations?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('Inter-class threshold (angle) for prop_ict', defaults.ict),
  })
  ict?: number;

  @Field(() => Float, { nullable: true, description: withDefault('k', defaults.repulsionCoefficient) })
  repulsionCoefficient?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('d0, angular repulsion radius', defaults.repulsionRadius),
  })
  repulsionRadius?: number;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('Negative: adaptive step of that factor', defaults.timestep),
  })
  timestep?: number;

  @Field(() => Float, { nullable: true, description: withDefault('μ', defaults.viscosity) })
  viscosity?: number;

  @Field(() => Float, { nullable: true, description: withDefault('η', defaults.randomForce) })
  randomForce?: number;

  @Field(() => Float, { nullable: true, description: withDefault('k_l, pull towards w_avg', defaults.latentForce) })
  latentForce?: number;

  @Field(() => Float, { nullable: true, description: "ψ of the initial latents; default: the pack's" })
  truncationPsi?: number;

  @Field(() => String, { nullable: true, description: 'Unsigned 64-bit seed, as a string; default random' })
  seed?: string;

  @Field(() => Int, {
    nullable: true,
    description: withDefault('Latents per forward/backward batch', defaults.batchSize),
  })
  batchSize?: number;

  @Field(() => Int, {
    nullable: true,
    description: withDefault('Checkpoint every this many iterations', DEFAULT_LANGEVIN_CHECKPOINT_EVERY),
  })
  checkpointEvery?: number;

  @Field(() => ID, { nullable: true, description: 'Gallery of real embeddings that identities are pushed away from' })
  exclusionGalleryId?: string;

  @Field(() => Float, {
    nullable: true,
    description: withDefault('c0, angular radius of the exclusion', defaults.exclusionDistance),
  })
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
