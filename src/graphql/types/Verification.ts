import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CheckedObject } from '../../core/verification/objectCheck.js';
import { ExportStatus, ProvenanceSubjectKind } from './enums.js';

registerEnumType(CheckedObject, {
  name: 'CheckedObject',
  description:
    'IMAGE: the stored PNG; LATENT: the image re-derived from it; EMBEDDING: re-derived from the latent; ' +
    "CHECKPOINT: a run's kept checkpoint as stored; TRAJECTORY: a segment of a run's trajectory re-run from the seed " +
    'or a checkpoint to the next checkpoint or the stored latents',
});

@ObjectType({ description: 'One object of a sample or identity, its recorded digest against the one found' })
export class ObjectCheck {
  @Field(() => ID, { description: 'The sample or identity; the run for CHECKPOINT and TRAJECTORY' })
  subjectId!: string;

  @Field(() => CheckedObject)
  object!: CheckedObject;

  @Field(() => String, { description: 'Where the object lives: its object key, or which stored value' })
  location!: string;

  @Field(() => String)
  expectedSha256!: string;

  @Field(() => String, { nullable: true })
  actualSha256!: string | null;

  @Field(() => Boolean)
  matches!: boolean;

  @Field(() => String, { nullable: true, description: 'What differs, naming the object; null when it matches' })
  problem!: string | null;
}

@ObjectType({
  description:
    'A worker re-derived samples from their provenance (stored latent → image → embedding) and runs from their seed ' +
    'and checkpoints, and checked each digest',
})
export class Verification {
  @Field(() => ID)
  id!: string;

  @Field(() => ProvenanceSubjectKind)
  subjectKind!: ProvenanceSubjectKind;

  @Field(() => ID)
  subjectId!: string;

  @Field(() => Int, { description: 'Samples or identities it checks' })
  sampleCount!: number;

  @Field(() => Int, { description: "Trajectory segments re-run: of the run, or of each of the dataset's runs" })
  segments!: number;

  @Field(() => ExportStatus)
  status!: ExportStatus;

  @Field(() => Int, { description: 'Samples, identities and trajectory segments checked so far' })
  checked!: number;

  @Field(() => Int, { description: 'Objects whose digest did not match' })
  mismatches!: number;

  @Field(() => Boolean, { nullable: true, description: 'True when every object matched; null until SUCCEEDED' })
  verified!: boolean | null;

  @Field(() => [ObjectCheck], { description: 'Every object checked, once SUCCEEDED' })
  results!: ObjectCheck[];

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}
