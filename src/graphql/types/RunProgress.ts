import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus } from './enums.js';
import { IterationStats } from './IterationStats.js';

@ObjectType({ description: 'A run event pushed to subscribers' })
export class RunProgress {
  @Field(() => ID)
  runId!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => Int)
  iteration!: number;

  @Field(() => Int)
  totalIterations!: number;

  @Field(() => IterationStats, { nullable: true, description: 'Statistics of this iteration, on iteration events' })
  stats!: IterationStats | null;

  @Field(() => String, { nullable: true })
  error!: string | null;
}
