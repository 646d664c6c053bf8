import { ArgsType, Field, Int } from 'type-graphql';
import type { ConnectionArgs } from '../connections.js';

@ArgsType()
export class ConnectionArguments implements ConnectionArgs {
  @Field(() => Int, { nullable: true, description: 'Page forward: this many items (default 20, at most 200)' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Page forward: items after this cursor' })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Page backward: this many items, ending before `before` (or at the end)',
  })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Page backward: items before this cursor' })
  before?: string | null;
}
