import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { RunKind, RunStatus } from '../types/enums.js';

@InputType()
export class RunFilter {
  @Field(() => RunStatus, { nullable: true })
  status?: RunStatus;

  @Field(() => RunKind, { nullable: true })
  kind?: RunKind;

  @Field(() => ID, { nullable: true })
  modelPackId?: string;

  @Field(() => ID, { nullable: true })
  parentRunId?: string;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Only runs created at or after this time' })
  createdAfter?: Date;
}
