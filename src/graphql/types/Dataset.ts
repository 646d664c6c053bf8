import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './Node.js';
import { ExportFormat, ExportStatus } from './enums.js';

@ObjectType({
  description: 'Identities and samples of finished runs, frozen under a name; never changes',
  implements: Node,
})
export class Dataset {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'sha256 of the canonical manifest (manifest.json in every export)' })
  digest!: string;

  @Field(() => String, { description: 'Object key of the manifest: identity → samples, each image with its sha256' })
  manifestKey!: string;

  @Field(() => Int)
  identityCount!: number;

  @Field(() => Int)
  sampleCount!: number;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({
  description: "One export of a dataset in a trainer's format, written by a background job",
  implements: Node,
})
export class DatasetExport {
  @Field(() => ID)
  id!: string;

  datasetId!: string;

  @Field(() => ExportFormat)
  format!: ExportFormat;

  @Field(() => GraphQLJSONObject, { description: 'crop, content and shardSize as validated' })
  options!: object;

  @Field(() => ExportStatus)
  status!: ExportStatus;

  @Field(() => Int, { description: 'Images written so far' })
  done!: number;

  @Field(() => Int, { description: 'Images the export will hold' })
  total!: number;

  @Field(() => String, { nullable: true, description: 'sha256 of the exported tar' })
  sha256!: string | null;

  @Field(() => Float, { nullable: true, description: 'Size of the exported tar in bytes' })
  size!: number | null;

  objectKey!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType({ description: "An export's status and progress, pushed to exportProgress subscribers" })
export class ExportProgress {
  @Field(() => ID)
  exportId!: string;

  @Field(() => ExportStatus)
  status!: ExportStatus;

  @Field(() => Int, { description: 'Images written; a resumed export restarts the count from its checkpoint' })
  done!: number;

  @Field(() => Int)
  total!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;
}
