import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { runEventTopic } from '../../core/events/eventHub.js';
import type { RunEvent } from '../../core/events/runEvents.js';
import type { RunId } from '../../core/ids/ids.js';
import { parseIdArgument } from '../args.js';
import type { GraphQLContext } from '../context.js';
import { runProgressStream, toProgress } from '../runProgressStream.js';
import { RunProgress } from '../types/RunProgress.js';

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => RunProgress, {
    description:
      'The run as it is now, then its status changes and every iteration, in order; completes after the final status. ' +
      'An unknown run is a NOT_FOUND error',
    subscribe: ({ args, context }) =>
      runProgressStream(context as GraphQLContext, parseIdArgument<RunId>(args, 'runId')),
  })
  runProgress(@Root() progress: RunProgress, @Arg('runId', () => ID) _runId: string): RunProgress {
    return progress;
  }

  @Subscription(() => RunProgress, {
    description: 'Status changes of every run',
    topics: runEventTopic,
    filter: ({ payload }) => (payload as RunEvent).type === 'status',
  })
  runUpdated(@Root() event: RunEvent): RunProgress {
    return toProgress(event);
  }
}
