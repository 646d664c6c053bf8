import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { Identity, Sample } from './Identity.js';
import { ModelPack } from './ModelPack.js';
import { Run } from './Run.js';

@ObjectType({ description: 'Where a sample or identity came from: sample → identity → run → parent runs → model pack' })
export class Lineage {
  @Field(() => Sample, { nullable: true })
  sample!: Sample | null;

  @Field(() => Identity)
  identity!: Identity;

  @Field(() => Run, { description: 'The run that produced the subject' })
  run!: Run;

  @Field(() => [Run], { description: 'Parent runs, nearest first' })
  ancestors!: Run[];

  @Field(() => ModelPack)
  modelPack!: ModelPack;

  @Field(() => GraphQLJSONObject, { description: 'The same chain as a W3C PROV-JSON document' })
  prov!: object;
}
