import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from './Node.js';
import { Role } from './enums.js';

@ObjectType({ description: 'An API key: its name, role and state, never its secret', implements: Node })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { description: 'First characters of the key, to tell keys apart' })
  prefix!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'After this the key authenticates nothing' })
  expiresAt!: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The secret, shown only this once' })
  secret!: string;
}
