import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunKind, RunStatus } from './enums.js';
import { Node } from './Node.js';

@ObjectType({ description: 'Who and what executed a run: the facts needed to re-derive its outputs' })
export class RunProvenance {
  @Field(() => String, { nullable: true })
  codeVersion!: string | null;

  @Field(() => String, { nullable: true })
  workerHost!: string | null;

  @Field(() => String, { nullable: true, description: 'onnxruntime execution provider: cpu or cuda' })
  executionProvider!: string | null;
}

@ObjectType({ description: "One job's share of a Dispersion or DisCo run: a slice of its identities" })
export class RunShard {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  index!: number;

  @Field(() => [Int], { description: 'Indices of its identities in the parent Langevin run' })
  identityIndices!: number[];

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => Int, { description: 'Iterations completed' })
  iteration!: number;

  @Field(() => Int, { description: 'Times a worker took it up' })
  attempts!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int, { nullable: true })
  errorIteration!: number | null;

  @Field(() => String, { nullable: true })
  workerHost!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType({
  description: 'One generation run (Langevin identities, or Dispersion / DisCo variations)',
  implements: Node,
})
export class Run {
  @Field(() => ID)
  id!: string;

  @Field(() => RunKind)
  kind!: RunKind;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => GraphQLJSONObject, { description: 'Validated parameters, defaults filled in' })
  parameters!: object;

  modelPackId!: string;
  parentRunId!: string | null;
  exclusionGalleryId!: string | null;
  seedValue!: bigint;

  @Field(() => Int, { description: 'Iterations completed' })
  iteration!: number;

  @Field(() => Int)
  totalIterations!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int, { nullable: true, description: 'Iteration at which the run failed' })
  errorIteration!: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Statistics at the first and last iteration' })
  summary!: object | null;

  @Field(() => Boolean)
  cancelRequested!: boolean;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => RunProvenance)
  provenance!: RunProvenance;
}
