import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Minimum, mean and maximum of a quantity over identities or pairs' })
export class Spread {
  @Field(() => Float)
  min!: number;

  @Field(() => Float)
  avg!: number;

  @Field(() => Float)
  max!: number;
}

@ObjectType({ description: 'Statistics of one iteration, as defined by the Langevin and Dispersion methods' })
export class IterationStats {
  @Field(() => Spread, { description: 'Angular distance between embeddings, over pairs' })
  embeddingDistance!: Spread;

  @Field(() => Float, { nullable: true, description: 'Share of embedding pairs farther apart than the ICT' })
  propIct!: number | null;

  @Field(() => Spread, { description: 'Euclidean distance between latents, over pairs' })
  latentDistance!: Spread;

  @Field(() => Float, { description: 'Mean Euclidean distance of latents to w_avg' })
  meanDistanceToAverage!: number;

  @Field(() => Spread)
  interactionForce!: Spread;

  @Field(() => Spread)
  latentForce!: Spread;

  @Field(() => Spread)
  randomForce!: Spread;

  @Field(() => Spread)
  totalForce!: Spread;

  @Field(() => Float, { nullable: true, description: 'Time step used by the update after these statistics' })
  dt!: number | null;
}

@ObjectType()
export class RunIteration {
  @Field(() => Int)
  iteration!: number;

  @Field(() => IterationStats)
  stats!: IterationStats;
}
