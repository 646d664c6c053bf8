import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus } from './enums.js';
import { IterationStats } from './IterationStats.js';

@ObjectType({ description: 'Where one shard of a Dispersion or DisCo run stands' })
export class ShardProgress {
  @Field(() => Int)
  index!: number;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => Int, { description: 'Iterations this shard has completed' })
  iteration!: number;
}

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

  @Field(() => ShardProgress, { nullable: true, description: 'Dispersion and DisCo: the shard this event is about' })
  shard!: ShardProgress | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Dispersion and DisCo: samples written so far, when a shard succeeds',
  })
  samplesDone!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Dispersion and DisCo: shards succeeded so far, when a shard succeeds',
  })
  shardsSucceeded!: number | null;

  @Field(() => Int, { nullable: true, description: 'Dispersion and DisCo: shards of the run, when a shard succeeds' })
  shardCount!: number | null;
}
