import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { ExclusionValues, IterationStatsRecord, SpreadValues } from '../../core/stats/iterationStats.js';

@ObjectType({ description: 'Minimum, mean and maximum of a quantity over identities or pairs' })
export class Spread implements SpreadValues {
  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  avg!: number;

  @Field(() => Float)
  max!: number;
}

@ObjectType({ description: 'How close identities come to the real faces of an exclusion gallery' })
export class ExclusionStats implements ExclusionValues {
  @Field(() => Float, { description: 'Smallest angular distance from any identity to any gallery embedding' })
  minDistance!: number;

  @Field(() => Int, { description: 'Identities with a gallery embedding closer than the exclusion distance' })
  identitiesWithin!: number;
}

@ObjectType({ description: 'Statistics of one iteration, as defined by the Langevin and Dispersion methods' })
export class IterationStats implements IterationStatsRecord {
  @Field(() => Spread, { description: 'Angular distance between embeddings, over pairs' })
  embeddingDistance!: Spread;

  @Field(() => Spread, {
    nullable: true,
    description: 'Dispersion: angular distance of each variation to its reference embedding',
  })
  distanceToReference!: Spread | null;

  @Field(() => Float, { nullable: true, description: 'Share of embedding pairs farther apart than the ICT' })
  propIct!: number | null;

  @Field(() => Spread, { description: 'Euclidean distance between latents, over pairs' })
  latentDistance!: Spread;

  @Field(() => Float, { description: 'Mean Euclidean distance of latents to w_avg' })
  meanDistanceToAverage!: number;

  @Field(() => Spread, { nullable: true })
  interactionForce!: Spread | null;

  @Field(() => Spread, { nullable: true })
  latentForce!: Spread | null;

  @Field(() => Spread, { nullable: true })
  randomForce!: Spread | null;

  @Field(() => Spread, { nullable: true })
  totalForce!: Spread | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Time step of the update after these statistics; null after the last',
  })
  dt!: number | null;

  @Field(() => Spread, {
    nullable: true,
    description: 'Dispersion: time steps over identities (each takes its own); dt is their mean',
  })
  dtSpread!: Spread | null;

  @Field(() => ExclusionStats, {
    nullable: true,
    description: 'Distance to the exclusion gallery, when the run has one',
  })
  exclusion!: ExclusionStats | null;
}

@ObjectType()
export class RunIteration {
  @Field(() => Int)
  iteration!: number;

  @Field(() => IterationStats)
  stats!: IterationStats;
}
