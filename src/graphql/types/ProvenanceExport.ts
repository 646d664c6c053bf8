import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ExportStatus, ProvenanceFormat, ProvenanceSubjectKind } from './enums.js';

@ObjectType({ description: 'A provenance document written to the object store by a background job' })
export class ProvenanceExport {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The sample, identity, run, audit, export or dataset it describes' })
  subjectId!: string;

  @Field(() => ProvenanceSubjectKind)
  subjectKind!: ProvenanceSubjectKind;

  @Field(() => ProvenanceFormat)
  format!: ProvenanceFormat;

  @Field(() => ExportStatus)
  status!: ExportStatus;

  @Field(() => Int, { description: 'PROV statements written so far' })
  statements!: number;

  @Field(() => String, { nullable: true, description: 'sha256 of the document' })
  sha256!: string | null;

  @Field(() => Float, { nullable: true, description: 'Size of the document in bytes' })
  size!: number | null;

  objectKey!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}
