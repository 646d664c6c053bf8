import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description: 'A presigned S3 GET URL for one stored file: any HTTP client can fetch it until it expires',
})
export class DownloadUrl {
  @Field(() => String)
  url!: string;

  @Field(() => GraphQLDateTime)
  expiresAt!: Date;
}
