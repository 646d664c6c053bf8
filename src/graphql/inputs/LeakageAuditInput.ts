import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { AuditScope } from '../types/enums.js';

@InputType({ description: 'The decision threshold: exactly one of cosine, angle or targetFalseMatchRate' })
export class AuditThresholdInput {
  @Field(() => Float, {
    nullable: true,
    description: 'Cosine similarity in [-1, 1]; a pair matches when its similarity is above it',
  })
  cosine?: number;

  @Field(() => Float, { nullable: true, description: 'Angle in radians, [0, π]; a pair matches when it is closer' })
  angle?: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Share in (0, 1) of the gallery's impostor pairs allowed above the threshold; the lowest such threshold is chosen",
  })
  targetFalseMatchRate?: number;
}

@InputType({ description: 'What to audit, against which gallery, and when a pair counts as a match' })
export class LeakageAuditInput {
  @Field(() => [ID], {
    nullable: true,
    description: 'Runs whose identities and/or samples are audited; or give datasetId',
  })
  runIds?: string[];

  @Field(() => ID, {
    nullable: true,
    description: 'A dataset whose members (reference identities and/or samples) are audited',
  })
  datasetId?: string;

  @Field(() => ID)
  galleryId!: string;

  @Field(() => AuditScope, { defaultValue: AuditScope.IDENTITIES })
  scope!: AuditScope;

  @Field(() => Int, { defaultValue: 5, description: 'Gallery subjects kept per synthetic embedding, 1 to 100' })
  topK!: number;

  @Field(() => AuditThresholdInput)
  threshold!: AuditThresholdInput;

  @Field(() => Int, { nullable: true, description: 'Synthetic embeddings per worker job (default 4096)' })
  shardSize?: number;
}
