import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A presigned S3 PUT for one file; large files never travel through GraphQL' })
export class UploadUrl {
  @Field(() => String, { description: 'Object key to pass to later mutations' })
  key!: string;

  @Field(() => String)
  url!: string;

  @Field(() => GraphQLDateTime)
  expiresAt!: Date;
}
