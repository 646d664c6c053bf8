import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './Node.js';
import { Connection } from './Connection.js';
import { AuditScope, AuditStatus, ThresholdSource } from './enums.js';
import { GallerySubject } from './Gallery.js';

@ObjectType({ description: 'Similarity histograms over cosine [-1, 1], equal bins' })
export class AuditHistogram {
  @Field(() => [Float], { description: 'Lower edge of each bin; the last ends at 1' })
  binStarts!: number[];

  @Field(() => [Int], { description: 'Audited identities whose maximum similarity to the gallery falls in each bin' })
  identityMaxSimilarity!: number[];

  @Field(() => [Float], { description: "Share of the gallery's impostor pairs in each bin" })
  galleryImpostors!: number[];
}

@ObjectType({ description: 'What an audit found; kept when its gallery is deleted' })
export class AuditSummary {
  @Field(() => Int)
  identitiesAudited!: number;

  @Field(() => Int)
  samplesAudited!: number;

  @Field(() => Int, { description: 'Identities with a match above the threshold, themselves or through a sample' })
  flaggedIdentities!: number;

  @Field(() => Int)
  flaggedSamples!: number;

  @Field(() => Float, { description: 'flaggedIdentities / identitiesAudited' })
  leakageRate!: number;

  @Field(() => Float)
  sampleLeakageRate!: number;

  @Field(() => Float)
  maxSimilarity!: number;

  @Field(() => AuditHistogram)
  histogram!: AuditHistogram;
}

@ObjectType({
  description: 'A leakage audit of synthetic identities or samples against a gallery of real faces',
  implements: Node,
})
export class LeakageAudit {
  @Field(() => ID)
  id!: string;

  @Field(() => AuditStatus)
  status!: AuditStatus;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => ID, { nullable: true, description: 'Null once the gallery is deleted' })
  galleryId!: string | null;

  @Field(() => String)
  galleryName!: string;

  @Field(() => String)
  galleryDigest!: string;

  @Field(() => String)
  recognizerDigest!: string;

  @Field(() => [ID], { description: 'The runs audited, or those the dataset was made from' })
  runIds!: string[];

  @Field(() => ID, { nullable: true, description: 'The dataset audited, when the audit was asked for one' })
  datasetId!: string | null;

  @Field(() => AuditScope)
  scope!: AuditScope;

  @Field(() => Int)
  topK!: number;

  @Field(() => Float, { description: 'Cosine similarity; a pair matches when its similarity is above it' })
  threshold!: number;

  @Field(() => Float, { description: 'The threshold as an angle, radians' })
  thresholdAngle!: number;

  @Field(() => ThresholdSource)
  thresholdSource!: ThresholdSource;

  @Field(() => Float, { nullable: true })
  targetFalseMatchRate!: number | null;

  @Field(() => Float, { nullable: true, description: "Share of the gallery's impostor pairs above the threshold" })
  falseMatchRate!: number | null;

  @Field(() => Int)
  queryCount!: number;

  @Field(() => Int)
  shardCount!: number;

  @Field(() => Int)
  shardsDone!: number;

  @Field(() => AuditSummary, { nullable: true })
  summary!: AuditSummary | null;

  @Field(() => ID, { nullable: true, description: 'The audit whose rerunWithExclusion made the runs this one checks' })
  followsAuditId!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType({ description: 'One of the top-k gallery subjects of a synthetic identity or sample' })
export class LeakageMatch {
  @Field(() => ID)
  id!: string;

  auditId!: string;

  @Field(() => ID)
  identityId!: string;

  @Field(() => ID, { nullable: true })
  sampleId!: string | null;

  @Field(() => Int, { description: '1 for the closest gallery subject of this embedding' })
  rank!: number;

  @Field(() => Float)
  similarity!: number;

  @Field(() => Float, { description: 'arccos(similarity), radians' })
  distance!: number;

  @Field(() => Boolean)
  aboveThreshold!: boolean;

  @Field(() => GallerySubject, { nullable: true, description: 'Null once the gallery is deleted' })
  subject!: GallerySubject | null;

  syntheticImageKey!: string;
}

@ObjectType()
export class LeakageMatchConnection extends Connection('LeakageMatch', LeakageMatch) {}

@ObjectType()
export class LeakageAuditConnection extends Connection('LeakageAudit', LeakageAudit) {}

@ObjectType({ description: "An audit's status and how many of its shards are done" })
export class AuditProgress {
  @Field(() => ID)
  auditId!: string;

  @Field(() => AuditStatus)
  status!: AuditStatus;

  @Field(() => Int)
  shardsDone!: number;

  @Field(() => Int)
  shardCount!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType({ description: 'The run rerunWithExclusion started and the audit that will check it' })
export class ExclusionRerun {
  @Field(() => ID)
  runId!: string;

  @Field(() => LeakageAudit)
  audit!: LeakageAudit;
}
