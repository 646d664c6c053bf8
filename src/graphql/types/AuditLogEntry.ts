import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { ApiKey } from './ApiKey.js';

@ObjectType({
  description:
    'One audit-log entry. Every mutation request leaves one with argumentsDigest and outcome; the use cases add ' +
    'entries with their target and details',
})
export class AuditLogEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => String, { description: 'The mutation (or read of protected data) recorded' })
  operation!: string;

  @Field(() => String, { nullable: true, description: 'Id or key of the object it acted on' })
  target!: string | null;

  @Field(() => ApiKey, { nullable: true, description: 'The key that sent it' })
  apiKey!: ApiKey | null;

  @Field(() => String, { nullable: true, description: 'sha256 of the canonical JSON of the mutation arguments' })
  argumentsDigest!: string | null;

  @Field(() => String, { nullable: true, description: 'OK, or the error code the mutation answered with' })
  outcome!: string | null;

  @Field(() => GraphQLJSONObject)
  details!: object;
}
